// Preloaded into the suite's client (NODE_OPTIONS=--require): resolves the site name the edge serves
// (CACHE_TESTS_HOST) to 127.0.0.1 without touching /etc/hosts. The edge refuses localhost as a site
// hostname (a reserved name), so the suite addresses the edge by this name instead.
const dns = require('dns')
const name = process.env.CACHE_TESTS_HOST
const lookup = dns.lookup
dns.lookup = function (hostname, options, callback) {
  if (hostname !== name) return lookup.apply(this, arguments)
  if (typeof options === 'function') { callback = options; options = {} }
  if (options && options.all) return process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }])
  process.nextTick(callback, null, '127.0.0.1', 4)
}
