-- One route of bench/scale_server_bench.py, sent by wrk (bench/wrk_load.py runs it).
--
--   wrk -t 1 -c 8 -d 4s --latency -s bench/wrk_route.lua http://127.0.0.1:PORT \
--       -- METHOD PATH CONNECTION [CONTENT-TYPE BODIES-FILE]
--
-- METHOD and PATH: the request line. CONNECTION: "keep-alive", or "close" for a new
-- connection per request (the server closes after each answer and wrk connects again).
-- BODIES-FILE: one request body per line (JSON or a url-encoded form, which have no line
-- breaks), sent in turn. The headers are those httpx sends (Accept-Encoding included, so
-- that the server compresses exactly as for the httpx clients); no Origin or
-- Sec-Fetch-Site header, so the CSRF check treats it as a non-browser client, as httpx.
--
-- There is no response() function: wrk then neither parses nor copies headers and bodies,
-- which keeps the load generator cheap. wrk counts answers with a status above 399 in
-- errors.status; the bench checks every body for a 200 before it starts wrk.
--
-- done() prints one line starting with "WRK-RESULT " and then JSON: the request count,
-- the errors, the duration, latency percentiles (microseconds), the CPU time wrk used up to
-- the end of the load (os.clock(), all threads) and the latency distribution as
-- quantiles (every request when there are at most QUANTILES of them), so that the bench can
-- pool several runs of a route into one p95.

local QUANTILES = 1000

local requests = {}
local next_request = 1

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "rb"))
  for line in file:lines() do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  file:close()
  assert(#lines > 0, "no request body in " .. path)
  return lines
end

function init(args)
  local method, path, connection = args[1], args[2], args[3]
  local content_type, bodies_file = args[4], args[5]
  local headers = {
    ["Accept"] = "*/*",
    ["Accept-Encoding"] = "gzip, deflate, br",
    ["Connection"] = connection,
    ["User-Agent"] = "wrk (bench/wrk_route.lua)",
  }
  if bodies_file then
    headers["Content-Type"] = content_type
    for _, body in ipairs(read_lines(bodies_file)) do
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  else
    requests[1] = wrk.format(method, path, headers, nil)
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

local function quantiles(latency, count)
  -- Every request's latency (sorted) when there are few, else QUANTILES evenly spaced
  -- quantiles; wrk's percentile(p) is the value of rank round(p / 100 * count + 0.5).
  local n = math.min(count, QUANTILES)
  local values = {}
  for k = 1, n do
    values[k] = string.format("%d", latency:percentile((k - 0.5) / n * 100))
  end
  return "[" .. table.concat(values, ",") .. "]"
end

function done(summary, latency, _requests)
  local cpu_s = os.clock()
  local e = summary.errors
  local count = summary.requests
  local fields = {
    string.format('"requests":%d', count),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format(
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
      e.connect, e.read, e.write, e.status, e.timeout
    ),
    string.format('"cpu_s":%.6f', cpu_s),
  }
  if count > 0 then
    fields[#fields + 1] = string.format(
      '"latency_us":{"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f,'
        .. '"p50":%d,"p95":%d,"p99":%d}',
      latency.min, latency.max, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(95), latency:percentile(99)
    )
    fields[#fields + 1] = '"quantiles_us":' .. quantiles(latency, count)
  end
  io.write("WRK-RESULT {" .. table.concat(fields, ",") .. "}\n")
end
