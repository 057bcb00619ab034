-- wrk script for cdpadmin's load figure: each request carries one of the session cookies given
-- after `--` (one per signed-in user, taken in turn), and `done` prints the figures as JSON.
local cookies = {}
local counter = 0

function init(args)
  for i, key in ipairs(args) do
    cookies[i] = "sessionid=" .. key
  end
end

function request()
  counter = counter + 1
  return wrk.format("GET", nil, { ["Cookie"] = cookies[(counter % #cookies) + 1] })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"p95_ms": %.3f, "requests": %d, "seconds": %.3f, "socket_errors": %d, "bad_status": %d}\n',
    latency:percentile(95.0) / 1000.0,
    summary.requests,
    summary.duration / 1e6,
    errors.connect + errors.read + errors.write + errors.timeout,
    errors.status
  ))
end
