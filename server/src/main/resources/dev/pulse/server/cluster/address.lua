-- Where a live node takes HTTP requests.
-- KEYS: 1 the nodes (sorted set: node -> deadline in ms), 2 their addresses (hash: node -> host:port)
-- ARGV: 1 node id
-- Returns: its address, or false when it is not alive
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline or tonumber(deadline) < now then
  return false
end
return redis.call('HGET', KEYS[2], ARGV[1])
