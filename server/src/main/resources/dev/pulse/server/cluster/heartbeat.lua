-- A node's heartbeat: it stays in the cluster's table of nodes until now + timeout (Redis's clock).
-- KEYS: 1 the nodes (sorted set: node -> deadline in ms), 2 their addresses (hash: node -> host:port)
-- ARGV: 1 node id, 2 timeout in ms, 3 its address
-- Returns: {1 when the node was not in the table (first beat, or it had been taken for dead),
--           nodes alive}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return {added, redis.call('ZCOUNT', KEYS[1], now, '+inf')}
