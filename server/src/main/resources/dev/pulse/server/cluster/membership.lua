-- Adds or removes one of a node's memberships ("channel\nmember id"), kept beside the nodes' table
-- so that whoever sweeps the node when it dies finds its members.
-- KEYS: 1 the node's memberships (set)
-- ARGV: 1 SADD or SREM, 2 the membership
-- Returns: 1 when the set changed
return redis.call(ARGV[1], KEYS[1], ARGV[2])
