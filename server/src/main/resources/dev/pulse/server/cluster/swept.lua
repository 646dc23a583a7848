-- Ends a node's sweep: its claim, and the memberships the sweep removed (any recorded since stay,
-- for the node's next sweep).
-- KEYS: 1 the sweeps under way (sorted set), 2 the node's memberships (set)
-- ARGV: 1 the node id, 2... the memberships removed
-- Returns: the memberships left
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #ARGV do
  redis.call('SREM', KEYS[2], ARGV[i])
end
return redis.call('SCARD', KEYS[2])
