-- wrk script for bench/share.sh: each request looks up a random key from KEYS_FILE under PATH_PREFIX, with the
-- bearer token in TOKEN (if set) or, for GraphQL peers, posts BODY_TEMPLATE with %s replaced by the key.
local keys = {}
local prefix = os.getenv("PATH_PREFIX") or "/"
local suffix = os.getenv("PATH_SUFFIX") or ""
local token = os.getenv("TOKEN")
local body_template = os.getenv("BODY_TEMPLATE")

for line in io.lines(os.getenv("KEYS_FILE")) do
  keys[#keys + 1] = line
end

request = function()
  local key = keys[math.random(#keys)]
  local headers = {}
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  if body_template and body_template ~= "" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", prefix, headers, string.format(body_template, key))
  end
  return wrk.format("GET", prefix .. key .. suffix, headers)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
