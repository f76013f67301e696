-- detect.lua -- wrk script: POST /v1/detect with ~1 KB prompts read from
-- $BODIES (one JSON object per line). REPEAT (0..1) is the share of requests
-- that repeat an earlier body; the others are made unique with their own
-- "timestamp_ms" (part of the cache key; the stateless detectors do not read
-- it. An unknown key such as "nonce" would be refused with 400.)
--
-- wrk shares the machine with the server, so the script keeps its own cost
-- down: requests are formatted once. With REPEAT=0 (the cache-off points)
-- each thread formats one request per body up front, each with its own
-- timestamp, and cycles through them; a body comes back only after #bodies
-- requests of that thread, never while the same one is in flight, so the
-- server's coalescing cannot merge them. With REPEAT>0 fresh requests are
-- formatted as they are sent and repeats reuse the formatted text.
local bodies = {}
local repeat_rate = tonumber(os.getenv("REPEAT") or "0")
local path = os.getenv("PATH_") or "/v1/detect"
local counter = 0
local sent = {} -- formatted requests that may be repeated
local pool = {} -- REPEAT=0: every request, formatted
local nthreads = 0
tid = 0 -- a global: setup() sets it in each thread's own Lua state

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

local function fresh(n)
  local b = bodies[(n % #bodies) + 1]
  return wrk.format(nil, path, nil, b:sub(1, -2) .. ',"timestamp_ms":' .. (tid * 1000000000 + n + 1) .. '}')
end

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  math.randomseed(tid * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if repeat_rate == 0 then
    for n = 1, #bodies do
      pool[n] = fresh(n)
    end
  end
end

function request()
  counter = counter + 1
  if repeat_rate == 0 then
    return pool[(counter % #pool) + 1]
  end
  if #sent > 0 and math.random() < repeat_rate then
    return sent[math.random(#sent)]
  end
  local r = fresh(counter)
  if #sent < 4096 then sent[#sent + 1] = r end
  return r
end

function done(summary, latency, requests)
  io.write(string.format("RESULT req/s=%.0f p50_us=%d p95_us=%d p99_us=%d max_us=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
