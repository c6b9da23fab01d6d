-- wrk script of the load harness (bench/run.sh). GET /count, with
--   COOKIE_FILE=path  one cookie a line, sent round-robin (many sessions);
--                     each thread starts at its own offset
--   COOKIE=sid=...    the same cookie on every request (one session)
--   neither           no cookie: every request is a new visitor
-- done() prints one RESULT line that run.sh parses.

local reqs = {}
local idx = 1
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

function init(args)
  local file = os.getenv("COOKIE_FILE")
  local one = os.getenv("COOKIE")
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then
        reqs[#reqs + 1] = wrk.format("GET", "/count", { ["Cookie"] = line })
      end
    end
  elseif one and one ~= "" then
    reqs[1] = wrk.format("GET", "/count", { ["Cookie"] = one })
  else
    reqs[1] = wrk.format("GET", "/count")
  end
  idx = ((tid or 0) * 397) % #reqs + 1
end

function request()
  local r = reqs[idx]
  idx = idx + 1
  if idx > #reqs then idx = 1 end
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.1f errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
