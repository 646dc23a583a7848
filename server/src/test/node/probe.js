// Exits 0 when the clients the interop tests use are installed next to this file.
require('ws');
require('websocket');
require('socket.io-client');
require.resolve('fossil-delta');
