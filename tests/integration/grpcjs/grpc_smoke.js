// grpc_smoke.js - talks to a SealDB gRPC server with @grpc/grpc-js (the
// transport immudb's Node.js SDK uses), loading SealDB's own proto files.
// Usage: node grpc_smoke.js <port> <proto dir> [ca.pem]: with a CA file the
// connection is TLS (verified against it). Exits non-zero on failure.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const fs = require('fs');
const [port, protoDir, caFile] = process.argv.slice(2);
const def = loader.loadSync(path.join(protoDir, 'schema.proto'), {
  includeDirs: [protoDir], keepCase: true, longs: String, defaults: true,
});
const schema = grpc.loadPackageDefinition(def).immudb.schema;
const creds = caFile ? grpc.credentials.createSsl(fs.readFileSync(caFile))
  : grpc.credentials.createInsecure();
// The certificate names "localhost"; connect by address, verify the name.
const opts = caFile ? { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' } : {};
const client = new schema.ImmuService(`127.0.0.1:${port}`, creds, opts);
console.log(caFile ? '-- over TLS' : '-- over h2c');

let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL', what); } else { console.log('ok  ', what); }
}
const p = (fn) => new Promise((res) => fn(res));

async function main() {
  // Health (unary, google.protobuf.Empty in) with response metadata.
  let uuid = null;
  const h = await p((res) => {
    const call = client.Health({}, (err, r) => res({ err, r }));
    call.on('metadata', (md) => { uuid = md.get('immudb-uuid')[0]; });
  });
  check(!h.err && h.r.status === true && typeof h.r.version === 'string' && h.r.version.length > 0,
        `Health -> ${JSON.stringify(h.r || h.err.message)}`);
  check(uuid === 'c0ffee00-0000-4000-8000-000000000001', `immudb-uuid header ${uuid}`);

  // Unary with request metadata and trailers.
  const md = new grpc.Metadata();
  md.set('authorization', 'Bearer abc');
  const g = await p((res) => {
    let trailer = null;
    const call = client.Get({ key: Buffer.from('k1') }, md, (err, r) => res({ err, r, trailer: () => trailer }));
    call.on('status', (st) => { trailer = st.metadata.get('x-served-by')[0]; });
  });
  check(!g.err && g.r.key.toString() === 'k1' && g.r.value.toString() === 'v:Bearer abc',
        `Get with metadata -> ${g.err ? g.err.message : g.r.value.toString()}`);

  // Status codes and messages.
  const nf = await p((res) => client.Get({ key: Buffer.from('missing') }, (err) => res(err)));
  check(nf && nf.code === grpc.status.NOT_FOUND && nf.details === 'key not found',
        `NOT_FOUND -> ${nf && nf.code} ${nf && nf.details}`);
  const un = await p((res) => client.SQLExec({ sql: 'select 1' }, (err) => res(err)));
  check(un && un.code === grpc.status.UNIMPLEMENTED, `UNIMPLEMENTED -> ${un && un.details}`);

  // Deadline enforced by the server (the handler sleeps 3 s).
  const t0 = Date.now();
  const dl = await p((res) => client.CurrentState({}, { deadline: Date.now() + 300 }, (err) => res(err)));
  check(dl && dl.code === grpc.status.DEADLINE_EXCEEDED && Date.now() - t0 < 2500,
        `DEADLINE_EXCEEDED after ${Date.now() - t0} ms`);

  // Server streaming: 40 chunks of 64 KiB.
  const key = Buffer.alloc(40, 'x');
  const chunks = await p((res) => {
    const got = [];
    const call = client.streamGet({ key });
    call.on('data', (c) => got.push(c.content));
    call.on('error', (e) => res({ e }));
    call.on('end', () => res({ got }));
  });
  check(chunks.got && chunks.got.length === 40 &&
        chunks.got.every((b, i) => b.length === 65536 && b[0] === i && b[65535] === i),
        `streamGet -> ${chunks.got ? chunks.got.length : chunks.e.message} chunks`);

  // Client streaming: 25 chunks of 10000 bytes.
  const hdr = await p((res) => {
    const call = client.streamSet((err, r) => res({ err, r }));
    for (let i = 0; i < 25; i++) call.write({ content: Buffer.alloc(10000, i) });
    call.end();
  });
  check(!hdr.err && hdr.r.id === '25' && hdr.r.nentries === 250000,
        `streamSet -> ${hdr.err ? hdr.err.message : JSON.stringify({ id: hdr.r.id, n: hdr.r.nentries })}`);

  // Many concurrent calls on the one HTTP/2 connection.
  const many = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    p((res) => client.Get({ key: Buffer.from(`key${i}`) },
      (err, r) => res(err ? `${err.code} ${err.details}` : (r.key.toString() === `key${i}` ? true : 'wrong key'))))));
  const bad = many.filter((x) => x !== true);
  check(bad.length === 0, `200 concurrent Get calls${bad.length ? ': ' + bad.slice(0, 3).join('; ') : ''}`);

  client.close();
  if (failures) { console.error(`${failures} failure(s)`); process.exit(1); }
  console.log('all passed');
}
main().catch((e) => { console.error(e); process.exit(1); });
