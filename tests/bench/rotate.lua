-- wrk script: each request a different path, read from the file named by
-- BENCH_PATHS (one path a line), so no per-process memo of one page can hit.
-- Each wrk thread starts at its own place in the list. The figures line comes
-- from stats.lua.
dofile(os.getenv("BENCH_STATS_LUA"))

local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end

local counter = 0
local threads = 0

setup = function(thread)
  thread:set("start", threads * 7919)
  threads = threads + 1
end

request = function()
  counter = counter + 1
  local path = paths[(start + counter) % #paths + 1]
  return wrk.format(nil, path)
end
