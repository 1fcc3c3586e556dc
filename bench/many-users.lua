-- wrk script: each request carries the Cookie header of the next of many
-- signed-in users (one header per line in the file named by the
-- COOKIES environment variable), so that no cache keyed by the cookie can
-- carry the figure. Each thread starts at a different user.
local cookies = {}
for line in io.lines(os.getenv("COOKIES")) do
  cookies[#cookies + 1] = line
end
local i = 0
local path = os.getenv("LOAD_PATH") or "/api/auth/session"

function setup(thread)
  thread:set("offset", math.random(#cookies))
end

function init(args)
  i = tonumber(offset) or 0
end

function request()
  i = i % #cookies + 1
  return wrk.format("GET", path, {["Cookie"] = cookies[i]})
end
