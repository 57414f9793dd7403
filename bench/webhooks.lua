-- Replays distinct pre-signed Twilio status callbacks (one per line: signature TAB form body) and
-- counts the answers. Each wrk thread takes every n-th line, so no callback is sent twice (a repeat
-- would be a duplicate, not a new row). A thread that runs out of lines sends GET /bench-exhausted
-- instead (answered 404, counted as bad) and the run reports it: make the file larger.
-- Environment: WH_FILE (request file), WH_PATH (URL path), WH_THREADS (wrk -t), WH_RATE (optional:
-- requests per second for all threads together; each thread sends on a fixed schedule, request k
-- at start + k / rate, and catches up without pause when it falls behind), WH_CYCLE=1 (start the
-- file again at its end: for the bare route, which stores nothing).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local n = tonumber(os.getenv("WH_THREADS") or "1")
  local path = os.getenv("WH_PATH")
  reqs = {}
  local i = 0
  for line in io.lines(os.getenv("WH_FILE")) do
    if i % n == id then
      local tab = line:find("\t", 1, true)
      local headers = {}
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["X-Twilio-Signature"] = line:sub(1, tab - 1)
      reqs[#reqs + 1] = wrk.format("POST", path, headers, line:sub(tab + 1))
    end
    i = i + 1
  end
  nextReq = 1
  ok = 0
  bad = 0
  exhausted = 0
end

local rate = tonumber(os.getenv("WH_RATE") or "")
if rate then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_nsec; } wh_timespec;
    int clock_gettime(int clock, wh_timespec *t);
  ]]
  local ts = ffi.new("wh_timespec")
  local function nowMs()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local start, k
  -- wrk calls delay() before each request when the script defines it: milliseconds to wait.
  function delay()
    local perThread = rate / tonumber(os.getenv("WH_THREADS") or "1")
    local now = nowMs()
    if start == nil then
      start, k = now, 0
    end
    k = k + 1
    local due = start + k * 1000 / perThread
    if due <= now then return 0 end
    return math.floor(due - now)
  end
end

function request()
  local r = reqs[nextReq]
  if r == nil and os.getenv("WH_CYCLE") == "1" then
    nextReq = 1
    r = reqs[1]
  end
  if r == nil then
    exhausted = 1
    return wrk.format("GET", "/bench-exhausted")
  end
  nextReq = nextReq + 1
  return r
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local okAll, badAll, ex = 0, 0, 0
  for _, t in ipairs(threads) do
    okAll = okAll + t:get("ok")
    badAll = badAll + t:get("bad")
    ex = ex + t:get("exhausted")
  end
  io.write(string.format("WRK exhausted=%d ok=%d bad=%d errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    ex, okAll, badAll,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
