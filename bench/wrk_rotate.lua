-- wrk script for bench/scale.sh: rotates through the request paths listed one per line in the
-- file named after "--" on wrk's command line; each thread starts at its own offset.
--   wrk -t2 -c32 -d10s -s bench/wrk_rotate.lua http://127.0.0.1:PORT -- PATHS.txt
local n = 0

function setup(thread)
  thread:set("id", n)
  n = n + 1
end

local paths = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  i = (id or 0) * 7
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
