// trawl.js -- njs (libnginx-mod-http-js 0.7) handlers for deploy/nginx.
//
// inline(r): js_content of an LLM API location (inline.conf). Sends the
//   buffered request body to trawl (the internal location /_trawl/screen,
//   which proxies to POST /v1/screen/chat), then
//     threat_score >= $trawl_threshold   -> 403 with trawl's verdict
//     trawl answered 400 (unreadable)    -> 400 with trawl's message
//     clean                              -> internal redirect to @llm: the
//                                           buffered body is proxied as sent
//     trawl unreachable / 5xx            -> 503, or with $trawl_fail_open on:
//                                           forward, warn, X-Trawl-Verdict: unscreened
// body_digest(r): js_set variable for `hash ... consistent` (lb-hash.conf).

function verdict_body(rep) {
    var top = null;
    var dets = rep.detectors || {};
    for (var name in dets) {
        var vs = dets[name].violations || [];
        for (var i = 0; i < vs.length; i++) {
            if (vs[i].category === 'multiple_signals')
                continue;
            if (!top || vs[i].confidence > top.confidence)
                top = {detector: name, category: vs[i].category, severity: vs[i].severity,
                       confidence: vs[i].confidence, evidence: (vs[i].evidence || [])[0]};
        }
    }
    return JSON.stringify({error: 'blocked_by_trawl', threat_score: rep.threat_score, top: top});
}

function unscreened(r, why) {
    if (r.variables.trawl_fail_open === 'on') {
        r.warn('trawl: ' + why + '; FAIL-OPEN: forwarding ' + r.uri + ' UNSCREENED');
        r.variables.trawl_verdict = 'unscreened';
        r.internalRedirect('@llm');
        return;
    }
    r.error('trawl: ' + why + '; refusing ' + r.uri + ' (fail closed)');
    r.headersOut['Content-Type'] = 'application/json';
    r.return(503, JSON.stringify({error: 'screening_unavailable', message: why}) + '\n');
}

function inline(r) {
    var body = r.requestText;
    if (body === undefined || body === null) {
        // A body in a temporary file: client_body_buffer_size is too small.
        unscreened(r, 'request body not in memory (raise client_body_buffer_size)');
        return;
    }
    r.subrequest('/_trawl/screen', {method: 'POST', body: body}, function(res) {
        if (res.status === 200) {
            var rep;
            try {
                rep = JSON.parse(res.responseText);
            } catch (e) {
                unscreened(r, 'unreadable verdict');
                return;
            }
            var limit = parseFloat(r.variables.trawl_threshold || '0.5');
            if (typeof rep.threat_score !== 'number') {
                unscreened(r, 'verdict without threat_score');
                return;
            }
            if (rep.threat_score >= limit) {
                r.headersOut['Content-Type'] = 'application/json';
                r.headersOut['X-Trawl-Verdict'] = 'threat';
                r.return(403, verdict_body(rep) + '\n');
                return;
            }
            r.variables.trawl_verdict = 'clean';
            r.internalRedirect('@llm');
            return;
        }
        if (res.status === 400 || res.status === 413) {
            r.headersOut['Content-Type'] = 'application/json';
            r.headersOut['X-Trawl-Verdict'] = 'refused';
            r.return(res.status, res.responseText);
            return;
        }
        unscreened(r, 'screening answered ' + res.status);
    });
}

function body_digest(r) {
    var b = r.requestText;
    if (!b)
        return '';
    return require('crypto').createHash('sha1').update(b).digest('hex');
}

export default {inline, body_digest};
