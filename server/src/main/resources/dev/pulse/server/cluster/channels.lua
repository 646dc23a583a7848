-- The channels of this Redis whose names start with a prefix, sorted, with their member counts.
-- A channel exists while Redis holds its state (history and seq) or members.
-- ARGV: 1 the key prefix of channels (e.g. 'pulse:{ch/'), 2 the name prefix (glob characters
--       escaped), 3 most to list
-- Returns: {total, name, member count, name, member count, ...}
local found = {}
local cursor = '0'
repeat
  local reply = redis.call('SCAN', cursor, 'MATCH', ARGV[1] .. ARGV[2] .. '*', 'COUNT', 1000)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do
    local rest = string.sub(key, #ARGV[1] + 1)
    -- state: NAME}, members: NAME}/members, history: NAME}/log (names never hold '/')
    if string.sub(rest, -9) == '}/members' then
      found[string.sub(rest, 1, -10)] = true
    elseif string.sub(rest, -1) == '}' then
      found[string.sub(rest, 1, -2)] = true
    end
  end
until cursor == '0'
local names = {}
for name in pairs(found) do
  names[#names + 1] = name
end
table.sort(names)
local out = {#names}
for i = 1, math.min(#names, tonumber(ARGV[3])) do
  out[#out + 1] = names[i]
  out[#out + 1] = redis.call('HLEN', ARGV[1] .. names[i] .. '}/members')
end
return out
