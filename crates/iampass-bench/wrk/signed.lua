-- wrk replaying protocol-1 requests signed in advance (`iampass-load presign`), one nonce each, so
-- that a generator written in C cross-checks `iampass-load http`'s numbers. Usage:
--   iampass-load presign --url "$URL" --app "$ID" --count 3000000 > signed.tsv
--   SIGNED=signed.tsv wrk -t1 -c32 -d30s --latency -s signed.lua "$URL"
-- (signed-beside-healthz, beside this file, does all of it).
-- With -t1 (one thread) every line is sent once; more threads would each replay the same lines.
local lines = {}
for line in io.lines(os.getenv("SIGNED")) do
  lines[#lines + 1] = line
end
local next_line = 0

request = function()
  next_line = next_line + 1
  local line = lines[next_line]
  if line == nil then
    error("the signed requests ran out: presign more")
  end
  local auth, timestamp = line:match("^(.-)\t(.*)$")
  return wrk.format("GET", nil, {
    ["Authentication"] = auth,
    ["X-IAMPASS-Authentication-Timestamp"] = timestamp,
    ["X-IAMPASS-Authentication-Version"] = "1",
  })
end
