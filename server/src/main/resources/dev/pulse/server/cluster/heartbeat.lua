-- A node's heartbeat: it stays in the cluster's table of nodes until now + timeout (Redis's clock).
-- A node taken for dead whose sweep is under way waits for it to end before it counts again.
-- KEYS: 1 the nodes (sorted set: node -> deadline in ms), 2 their addresses (hash: node -> host:port),
--       3 the sweeps under way (sorted set: node -> the sweeper's lease, ms)
-- ARGV: 1 node id, 2 timeout in ms, 3 its address
-- Returns: {1 when the node was not in the table (first beat, or it had been taken for dead and
--           swept), 2 while it is being swept, else 0; nodes alive}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local status = 2
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  status = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
return {status, redis.call('ZCOUNT', KEYS[1], now, '+inf')}
