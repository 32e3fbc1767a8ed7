// Preloaded into the suite's origin server (NODE_OPTIONS=--require): keeps idle keep-alive connections
// open for 120 s, as common origin servers do (nginx: 75 s), instead of Node's 5 s. With 5 s the origin
// closes connections the edge still holds in its pool (idle close after 60 s) while the suite pauses
// between requests, and a request with a body sent on such a connection just as it closes fails with
// 502 (the edge never sends a request with a body twice): setup failures that have nothing to do with
// caching and that change from run to run.
const http = require('http')
const createServer = http.createServer
http.createServer = function () {
  const server = createServer.apply(this, arguments)
  server.keepAliveTimeout = 120000
  server.headersTimeout = 121000
  return server
}
