-- detect.lua -- wrk script: POST /v1/detect with ~1 KB prompts read from
-- $BODIES (one JSON object per line). REPEAT (0..1) is the share of requests
-- that repeat an earlier body; the others are made unique with a "nonce"
-- member (an unknown key: ignored by the detectors, part of the cache key).
local bodies = {}
local repeat_rate = tonumber(os.getenv("REPEAT") or "0")
local path = os.getenv("PATH_") or "/v1/detect"
local counter = 0
local sent = {}
local nthreads = 0
tid = 0 -- a global: setup() sets it in each thread's own Lua state

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  math.randomseed(tid * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body
  if #sent > 0 and math.random() < repeat_rate then
    body = sent[math.random(#sent)]
  else
    counter = counter + 1
    local b = bodies[(counter % #bodies) + 1]
    body = b:sub(1, -2) .. ',"nonce":"' .. tid .. "-" .. counter .. '"}'
    if #sent < 4096 then sent[#sent + 1] = body end
  end
  return wrk.format(nil, path, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT req/s=%.0f p50_us=%d p95_us=%d p99_us=%d max_us=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
