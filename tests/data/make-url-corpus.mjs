// Writes tests/data/url-corpus.json: tricky endpoint URLs, each with what a WHATWG URL parser
// (Node's `URL`, the parser behind Node's fetch) reads in it. Run once when adding inputs:
//   node tests/data/make-url-corpus.mjs
// The tests compare the library's reading of every URL with these answers, and with the live
// parsers of Node and Chromium.
import { writeFileSync } from 'node:fs';

const hosts = [
  'localhost', 'LOCALHOST', 'LocalHost', 'localhost.', 'app.localhost', 'evil.com.localhost', 'localhost.evil.com',
  '127.0.0.1', '127.1', '127.0.1', '127.0.0.1.', '127.255.255.254', '0x7f.1', '0x7F000001', '2130706433',
  '017700000001', '0177.0.0.1', '0x7f.0x0.0x0.0x1', '127.0.0.01', '127.0.0.08', '127.256.0.0', '127.0.0.0x1',
  '0x7f.0.0.1.', '0', '0.0.0.0', '0x', '0x.', '1e3', '128.0.0.1', '10.0.0.1', '169.254.169.254', '192.168.1.1',
  '1.2.3.4.5', '1.2.3', '4294967295', '4294967296', '0xffffffff', '0x100000000', '09', '1.08', 'foo.123',
  'foo.0x', 'foo.0x1g', '123.foo', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:0:0:1]',
  '[::127.0.0.1]', '[fe80::1]', '[::]', '[1::]', '[1:2:3:4:5:6:7:8]', '[1:2:3:4:5:6:7:8:9]', '[::1:2::]',
  '[1:2:3:4:5:6:1.2.3.4]', '[::1.2.3.04]', '[::1.2.3]', '[0000:0000:0000:0000:0000:0000:0000:0001]',
  '[::0:1]', '[1:0:0:2:0:0:0:3]', '[1:0:0:0:2:0:0:3]', '[::FFFF:1.1.1.1]', '[::1', '::1', '[::1]x',
  '[::1%25eth0]', '[:1]', '[1:2:3:4:5:6:7::]', '[::1:2:3:4:5:6:7]', '[1:2:3:4:5:6:7:8::]',
  'xn--nxasmq6b.com', 'xn--.com', 'XN--abc.dk', 'exa_mple.com', 'ex!ample.com', 'a..b', '.a', 'a.',
  'example.com', 'graphql.datafordeler.dk', 'GRAPHQL.Datafordeler.DK', 'auth.datafordeler.dk.',
  'a$b.dk', "a'b.dk", 'a(b).dk', 'a*b.dk', 'a+b.dk', 'a,b.dk', 'a;b.dk', 'a=b.dk', 'a"b.dk', 'a`b.dk',
  'a{b}.dk', 'a~b.dk', 'a<b.dk', 'a>b.dk', 'a^b.dk', 'a|b.dk', '-a-.dk', 'localhost%2e', '%6cocalhost',
];

const inputs = [];
for (const host of hosts) {
  for (const scheme of ['http', 'https']) {
    inputs.push(`${scheme}://${host}/token`);
    inputs.push(`${scheme}://${host}:8787`);
  }
}

inputs.push(
  // Backslashes: read as "/" by WHATWG in http(s) URLs.
  'http://evil.com\\.localhost/token', 'http://169.254.169.254\\.localhost/', 'http:\\\\evil.com', 'http:/\\evil.com',
  'http://localhost\\@evil.com/', 'https://evil.com\\@localhost/', 'http://127.0.0.1\\.evil.com/', 'http://localhost/\\evil',
  'http://evil.com\\\\.localhost', 'http:\\\\\\\\localhost',
  // Percent-encoding in the host and the authority.
  'http://%6cocalhost/', 'http://localhost%2F@evil.com/', 'http://evil.com%2F.localhost/', 'http://evil.com%5C.localhost',
  'http://evil.com%3F.localhost', 'http://evil.com%40.localhost', 'http://evil.com%23.localhost', 'http://evil.com%00.localhost',
  'http://127.0.0.1%2f/', 'http://127%2e0%2e0%2e1/', 'http://localhost/a%2Fb', 'http://local%68ost/', 'http://%31%32%37.0.0.1/',
  'http://evil.com%252F.localhost/', 'http://evil.com%2e/', 'http://localhost%/', 'http://localhost%zz/', 'http://[::1%5D/',
  'http://evil.com%E3%80%82localhost/', 'http://evil.com%EF%BC%8Elocalhost/',
  // User info.
  'http://user:pass@localhost/', 'http://@localhost/', 'http://localhost@evil.com/', 'http://evil.com@localhost/',
  'http://a@b@localhost/', 'http://:@localhost', 'http://localhost:80@evil.com/', 'https://client_secret@x.dk/',
  'http://evil.com:@localhost/', 'http://localhost:8787@evil.com:8787/',
  // Ports.
  'http://localhost:80/', 'http://localhost:0080/', 'https://x.dk:443/', 'https://x.dk:0443/', 'http://localhost:443/',
  'https://x.dk:80/', 'http://localhost:0/', 'http://localhost:65535/', 'http://localhost:65536/', 'http://localhost:99999999999/',
  'http://localhost:/', 'http://localhost:8a/', 'http://localhost:-1/', 'http://localhost:+80/', 'http://localhost::80/',
  'http://[::1]:8787/', 'http://[::1]8787/', 'http://[::1]:/', 'http://localhost:8787:8787/', 'http://localhost:00000000000080/',
  // Tabs, newlines, spaces, controls.
  'http://evil.com\t.localhost/', 'http://loc\nalhost/', '\thttp://localhost/', ' http://localhost ', 'http://localhost/\r\n',
  'h\tttp://localhost', 'http://local\u0000host/', 'http://localhost\u007f/', 'http://evil.com\u0000.localhost/',
  'http://evil.com\r\n.localhost/', 'http://evil .com/', 'http://localhost/a b', 'http://\u000blocalhost/', 'http://localhost\u000c/',
  // Full-width and ideographic dots, Unicode look-alikes and invisible characters.
  'http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/', 'http://127\u30020\u30020\u30021/', 'http://127\uff0e0\uff0e0\uff0e1/',
  'http://127\uff610\uff610\uff611/', 'http://evil.com\u3002localhost/', 'http://\uff25\uff36\uff29\uff2c.com/',
  'http://\u2460\u2461\u2466.0.0.1/', 'http://localhost\u3000/', 'http://\uff11\uff12\uff17.0.0.1/', 'http://loc\u00adalhost/',
  'http://loc\u200balhost/', 'http://localhost\uff0e/', 'http://l\u0307ocalhost/', 'http://\u212aelvin.dk/', 'http://localho\u017ft/',
  'https://b\u00fccher.dk/', 'https://x.dk/\u00f8', 'http://evil.com\uff0flocalhost/', 'http://evil.com\uff3clocalhost/',
  'http://evil.com\u2044localhost/', 'http://evil.com\u2215localhost/',
  // Mixed-case schemes.
  'HTTP://localhost', 'hTTp://LocalHost:8787/x', 'HTTPS://Graphql.Datafordeler.dk/CPR', 'hTtPs://x.dk', 'Http://evil.com/',
  // Fragments and queries hiding "@" or a host.
  'http://localhost#@evil.com/', 'http://evil.com#@localhost/', 'http://localhost?@evil.com/', 'http://evil.com?@localhost',
  'http://localhost/#', 'https://x.dk/?q=1', 'http://localhost/path?x=@evil.com', 'http://evil.com/#.localhost',
  'http://evil.com?.localhost', 'http://localhost/?', 'http://localhost#',
  // Slashes after the scheme.
  'http:localhost', 'http:/localhost', 'http:///localhost', 'http:////evil.com', 'https:example.com', '//localhost/',
  'localhost:8080', '/relative', 'http:/\\/localhost', 'https:/x.dk', 'https:///x.dk/',
  // Other schemes.
  'ftp://localhost/', 'javascript:alert(1)', 'file:///etc/passwd', 'ws://localhost/', 'wss://x.dk/', 'data:text/plain,x',
  'blob:http://localhost/x', 'http+unix://x', '1http://localhost', '-http://localhost', 'ht%74p://localhost',
  // Empty or broken.
  'http://', 'https://', 'http:', '', 'http://:80/', 'http://[]/', 'http://[/', 'http://]/', 'http:// /', 'http://./',
  'http://../', 'http://.../', 'http://a/../../evil.com', 'http://localhost/./..', 'http://localhost/%2e%2e/x',
  // Paths.
  'https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v2', 'http://127.0.0.1:8787/CPR/custom/PublicSector/v3/',
  'http://localhost/a//b', 'http://localhost/a"b', 'http://localhost/a<b>', 'http://localhost/a`b', 'http://localhost/{x}',
  'http://localhost/%', 'http://localhost/%zz', 'http://localhost/a@b', 'http://localhost/a:b', 'http://localhost/;x',
);

const answers = inputs.map((input) => {
  let parsed = null;
  try {
    const u = new URL(input);
    parsed = { protocol: u.protocol, hostname: u.hostname, port: u.port, username: u.username, password: u.password };
  } catch {
    parsed = null;
  }
  return { input, whatwg: parsed };
});

const seen = new Set();
const corpus = answers.filter((a) => !seen.has(a.input) && seen.add(a.input));
writeFileSync(new URL('./url-corpus.json', import.meta.url), '[\n' + corpus.map((c) => JSON.stringify(c)).join(',\n') + '\n]\n');
console.log(`${corpus.length} URLs, ${corpus.filter((a) => a.whatwg).length} parse`);
