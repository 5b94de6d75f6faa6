-- wrk script for bench/serve: POSTs JSON bodies read from a file, one body
-- per line (BODIES, set by run.py through the environment), cycling through
-- them; the requests are formatted once, in init, so the load generator does
-- no per-request work beyond picking the next one. done() prints one JSON
-- line (prefixed with "WRK_JSON ") with the counts and latency percentiles
-- in microseconds, which run.py parses.

local requests = {}
local next_index = 1

function init(args)
  local path = os.getenv("BODIES")
  if path == nil then
    error("BODIES is not set")
  end
  local headers = { ["Content-Type"] = "application/json" }
  for line in io.lines(path) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", wrk.path, headers, line)
    end
  end
  if #requests == 0 then
    error("no bodies in " .. path)
  end
  -- Each connection's thread starts at a different place in the list.
  next_index = (math.random(#requests) - 1) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"connect_errors":%d', e.connect),
    string.format('"read_errors":%d', e.read),
    string.format('"write_errors":%d', e.write),
    string.format('"status_errors":%d', e.status),
    string.format('"timeout_errors":%d', e.timeout),
    string.format('"latency_mean_us":%.1f', latency.mean),
    string.format('"latency_max_us":%d', latency.max),
    string.format('"p50_us":%d', latency:percentile(50)),
    string.format('"p90_us":%d', latency:percentile(90)),
    string.format('"p99_us":%d', latency:percentile(99)),
    string.format('"p999_us":%d', latency:percentile(99.9)),
  }
  io.write("WRK_JSON {" .. table.concat(parts, ",") .. "}\n")
end
