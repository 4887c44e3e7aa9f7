-- wrk script of altod's benchmark suite: one request, repeated, described by
-- environment variables (the same script for altod and its reference), and a
-- done() hook that prints the results as one parseable line.
--
--   BENCH_METHOD           GET (default) or POST
--   BENCH_BODY_FILE        file whose bytes are the request body
--   BENCH_CONTENT_TYPE     Content-Type of the body
--   BENCH_ACCEPT_ENCODING  Accept-Encoding (e.g. gzip)
--
-- Output: BENCH_RESULT {"requests":N,"duration_us":N,"bytes":N,
--          "p50_us":N,"p99_us":N,"mean_us":N,"max_us":N,
--          "errors":{"connect":N,"read":N,"write":N,"status":N,"timeout":N}}

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

local ct = os.getenv("BENCH_CONTENT_TYPE")
if ct and ct ~= "" then
  wrk.headers["Content-Type"] = ct
end

local ae = os.getenv("BENCH_ACCEPT_ENCODING")
if ae and ae ~= "" then
  wrk.headers["Accept-Encoding"] = ae
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
