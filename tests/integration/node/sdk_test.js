'use strict';
// End-to-end test of immudb's official Node.js SDK (npm immudb-node 1.1.1) against a running
// sealdb: login, a database with tx header version 0, plain and verified KV operations (the
// SDK's own proof verification must pass), history, scan, references, sorted sets, ExecAll,
// TxScan, users and permissions, logout.
//
// Environment: SEALDB_ADDR (127.0.0.1), SEALDB_PORT (3322), SEALDB_ADMIN_PASSWORD (immudb),
// SEALDB_STEP_TIMEOUT_MS (20000). Prints "ok <step>" or "FAIL <step>: <reason>" per step and
// exits non-zero if any step failed.
//
// The SDK has bugs; each work-around below is marked "SDK BUG" and described in
// docs/immudb-node-sdk.md. Nothing here relies on the server bending immudb's behaviour.

const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const ImmudbClient = require('immudb-node').default;
const pb = require('immudb-node/dist/src/proto/schema_pb');

const HOST = process.env.SEALDB_ADDR || '127.0.0.1';
const PORT = process.env.SEALDB_PORT || '3322';
const ADMIN_USER = 'immudb';
const ADMIN_PW = process.env.SEALDB_ADMIN_PASSWORD || 'immudb';
const STEP_TIMEOUT_MS = Number(process.env.SEALDB_STEP_TIMEOUT_MS || 20000);

// Names unique per run, so the script can also be pointed at a long-lived server.
const RUN = crypto.randomBytes(4).toString('hex');
const DB_V0 = `nodesdk_v0_${RUN}`; // created with CreateDatabaseV2, writeTxHeaderVersion = 0
const DB_LEGACY = `nodesdk_legacy_${RUN}`; // created with the SDK's createDatabase (legacy RPC)
const USER = `nodesdk_user_${RUN}`;
const USER_PW1 = 'Reader1!first';
const USER_PW2 = 'Reader2!second';

// The SDK keeps its trusted state in a JSON file (rootPath); one file per client, in a
// private temp dir, so runs never share or leave state behind.
const STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdb-node-sdk-'));
let clientCount = 0;
function newClient() {
    clientCount++;
    return new ImmudbClient({
        host: HOST,
        port: PORT,
        rootPath: path.join(STATE_DIR, `state-${clientCount}.json`),
    });
}

// ---------------------------------------------------------------------------------------------
// Step runner: a timeout per step (the SDK leaves some promises unsettled when a response is
// malformed), and exceptions that escape inside SDK callbacks are charged to the current step
// (the SDK installs an 'uncaughtException' listener, so Node would otherwise swallow them).

let failures = 0;
let current = null;

function describe(e) {
    if (e === undefined || e === null)
        return 'the SDK rejected without a reason: its own check failed (see its message on stderr)';
    if (typeof e === 'string') return `SDK error: ${e}`;
    if (e instanceof assert.AssertionError) return e.message;
    if (e && typeof e.code === 'number' && e.details !== undefined)
        return `gRPC status ${e.code} (${grpcCodeName(e.code)}): ${e.details}`;
    return e && e.stack ? e.stack : String(e);
}

function grpcCodeName(code) {
    for (const [k, v] of Object.entries(grpc.status)) if (v === code) return k;
    return '?';
}

process.on('uncaughtException', (e) => {
    if (current) current.reject(new Error(`exception inside an SDK callback: ${describe(e)}`));
    else {
        failures++;
        console.log(`FAIL uncaught exception outside any step: ${describe(e)}`);
    }
});
process.on('unhandledRejection', () => {
    // The SDK rejects and then keeps going in several places; the step that awaited the
    // promise reports the failure, a second settle attempt is noise.
});

async function step(name, fn, { critical = false } = {}) {
    let timer;
    const run = new Promise((resolve, reject) => {
        current = { name, reject };
        timer = setTimeout(
            () => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms (an SDK promise never ` +
                'settled: the response was probably missing a field the SDK needs; see stderr)')),
            STEP_TIMEOUT_MS);
        Promise.resolve().then(fn).then(resolve, reject);
    });
    try {
        const v = await run;
        console.log(`ok ${name}`);
        return v;
    } catch (e) {
        failures++;
        console.log(`FAIL ${name}: ${describe(e)}`);
        if (critical) finish(`step ${name} is required by every later step`);
        return undefined;
    } finally {
        clearTimeout(timer);
        current = null;
    }
}

function finish(why) {
    if (why) console.log(`FAIL aborted: ${why}`);
    // The SDK writes its state file from its own 'exit' listeners; this one, added last,
    // runs after them.
    process.on('exit', () => fs.rmSync(STATE_DIR, { recursive: true, force: true }));
    console.log(failures === 0 ? 'PASS all steps' : `${failures} step(s) failed`);
    process.exit(failures === 0 && !why ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------
// Helpers

const enc = (s) => Buffer.from(s, 'utf8');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const b64 = (x) => Buffer.from(x || '', 'base64');
const prefixed = (k) => Buffer.concat([Buffer.from([0x00]), enc(k)]);

// Awaits an SDK call and asserts it produced a value: the SDK catches its own synchronous
// exceptions, logs them and resolves undefined (SDK BUG), which must not pass silently.
async function sdk(what, promise) {
    const v = await promise;
    assert.ok(v !== undefined && v !== null, `${what} returned nothing (the SDK swallowed an exception; see stderr)`);
    return v;
}

async function expectReject(what, promise, messageRe) {
    let err;
    try {
        await promise;
    } catch (e) {
        err = e === undefined ? new Error('(no reason)') : e;
    }
    assert.ok(err !== undefined, `${what} succeeded but must fail`);
    if (messageRe) {
        const msg = typeof err === 'string' ? err : (err.details || err.message || String(err));
        assert.match(msg, messageRe, `${what} failed with an unexpected message: ${msg}`);
    }
    return err;
}

// Minimal protobuf wire codec, only for the two calls the SDK cannot make (its generated
// schema predates them): CreateDatabaseV2 and a raw TxById to read the header version.
function pbVarint(n) {
    let v = BigInt(n);
    const out = [];
    do {
        let b = Number(v & 0x7fn);
        v >>= 7n;
        if (v > 0n) b |= 0x80;
        out.push(b);
    } while (v > 0n);
    return Buffer.from(out);
}
function pbBytes(field, buf) {
    return Buffer.concat([pbVarint((field << 3) | 2), pbVarint(buf.length), buf]);
}
function pbUint(field, n) {
    return Buffer.concat([pbVarint(field << 3), pbVarint(n)]);
}
function pbParse(buf) {
    const fields = [];
    let i = 0;
    const varint = () => {
        let r = 0n;
        let s = 0n;
        for (;;) {
            if (i >= buf.length) throw new Error('truncated protobuf varint');
            const b = buf[i++];
            r |= BigInt(b & 0x7f) << s;
            s += 7n;
            if (!(b & 0x80)) return r;
        }
    };
    while (i < buf.length) {
        const tag = Number(varint());
        const num = tag >>> 3;
        const wt = tag & 7;
        if (wt === 0) fields.push({ num, wt, val: varint() });
        else if (wt === 2) {
            const len = Number(varint());
            if (i + len > buf.length) throw new Error('truncated protobuf field');
            fields.push({ num, wt, val: buf.subarray(i, i + len) });
            i += len;
        } else if (wt === 1) i += 8;
        else if (wt === 5) i += 4;
        else throw new Error(`unsupported protobuf wire type ${wt}`);
    }
    return fields;
}
const pbGet = (fields, num) => fields.filter((f) => f.num === num);

function rawUnary(cl, method, reqBuf) {
    return new Promise((resolve, reject) => {
        cl.client.makeUnaryRequest(`/immudb.schema.ImmuService/${method}`, (b) => b, (b) => b,
            reqBuf, cl._metadata, {}, (err, res) => (err ? reject(err) : resolve(res)));
    });
}

// Header version of tx `id` as sent by the server (TxById -> Tx.header(1).version(8)).
async function rawHeaderVersion(cl, id) {
    const tx = pbParse(await rawUnary(cl, 'TxById', pbUint(1, id)));
    const hdr = pbGet(tx, 1);
    assert.strictEqual(hdr.length, 1, `TxById(${id}) answer has no header`);
    const h = pbParse(hdr[0].val);
    const hid = pbGet(h, 1);
    assert.ok(hid.length === 1 && Number(hid[0].val) === id, `TxById(${id}) header has the wrong id`);
    const ver = pbGet(h, 8);
    return ver.length ? Number(ver[0].val) : 0;
}

// SDK BUG (execAll): it calls op.setKv(), op.setZadd() and op.setRef() on every Op, but the
// three are one protobuf oneof, so the last (an empty ref) wins and every operation goes out
// as an empty ReferenceRequest. While the SDK's execAll runs, an empty sub-message is not
// allowed to replace the operation that was set.
async function withExecAllFix(fn) {
    const P = pb.Op.prototype;
    const orig = { setKv: P.setKv, setZadd: P.setZadd, setRef: P.setRef };
    for (const k of Object.keys(orig)) {
        P[k] = function (v) {
            if (v && typeof v.serializeBinary === 'function' && v.serializeBinary().length === 0)
                return this;
            return orig[k].call(this, v);
        };
    }
    try {
        return await fn();
    } finally {
        Object.assign(P, orig);
    }
}

// ---------------------------------------------------------------------------------------------

async function main() {
    console.log(`# immudb-node 1.1.1 against ${HOST}:${PORT}, run ${RUN}`);
    const admin = newClient();
    const t = {}; // tx ids and values remembered across steps

    await step('health', async () => {
        const h = await sdk('health', admin.health());
        assert.strictEqual(h.status, true, 'Health status is not true');
        assert.ok(typeof h.version === 'string', 'Health version is not a string');
    }, { critical: true });

    await step('login_wrong_password_rejected', async () => {
        const c = newClient();
        await expectReject('login with a wrong password',
            c.login({ user: ADMIN_USER, password: `${ADMIN_PW}-wrong` }),
            /invalid user name or password/i);
    });

    await step('login', async () => {
        const r = await sdk('login', admin.login({ user: ADMIN_USER, password: ADMIN_PW }));
        assert.ok(typeof r.token === 'string' && r.token.length > 0, 'empty token');
        assert.ok(admin._metadata.get('authorization')[0] === `Bearer ${r.token}`,
            'the SDK did not install the token as authorization metadata');
    }, { critical: true });

    // The SDK can only call the legacy CreateDatabase(Database), which carries no settings,
    // so the header-version-0 database is created with immudb's CreateDatabaseV2 and
    // settings.writeTxHeaderVersion = 0, on the SDK's own channel and token.
    await step('create_database_v0', async () => {
        const settings = pbBytes(20, Buffer.alloc(0)); // writeTxHeaderVersion: NullableUint32{value: 0}
        const req = Buffer.concat([pbBytes(1, enc(DB_V0)), pbBytes(2, settings)]);
        const res = pbParse(await rawUnary(admin, 'CreateDatabaseV2', req));
        const name = pbGet(res, 1);
        assert.ok(name.length === 1 && name[0].val.toString() === DB_V0,
            'CreateDatabaseV2 answer does not name the new database');
        const s = pbGet(res, 2);
        if (s.length) {
            const v = pbGet(pbParse(s[0].val), 20);
            if (v.length) {
                const inner = pbGet(pbParse(v[0].val), 1);
                const ver = inner.length ? Number(inner[0].val) : 0;
                assert.strictEqual(ver, 0, 'CreateDatabaseV2 answer reports writeTxHeaderVersion != 0');
            }
        }
    }, { critical: true });

    await step('create_database_legacy', async () => {
        await sdk('createDatabase', admin.createDatabase({ databasename: DB_LEGACY }));
        await expectReject('createDatabase of an existing database',
            admin.createDatabase({ databasename: DB_LEGACY }));
    });

    await step('list_databases', async () => {
        const r = await sdk('listDatabases', admin.listDatabases());
        const names = r.databasesList.map((d) => d.databasename);
        assert.ok(names.includes(DB_V0), `${DB_V0} missing from ${JSON.stringify(names)}`);
        assert.ok(names.includes(DB_LEGACY), `${DB_LEGACY} missing from ${JSON.stringify(names)}`);
    });

    await step('use_database', async () => {
        const r = await sdk('useDatabase', admin.useDatabase({ databasename: DB_V0 }));
        assert.ok(typeof r.token === 'string' && r.token.length > 0, 'UseDatabase returned an empty token');
        // SDK BUG (state): State.get throws a TypeError when the state file knows the server
        // but not the database, and the verified calls swallow it. currentState() stores the
        // state of the active database first, which also is the SDK's trust-on-first-use.
        const s = await sdk('currentState', admin.currentState());
        assert.ok(Number.isInteger(s.txid) && s.txid >= 0, 'CurrentState has no txId');
    }, { critical: true });

    await step('set_get', async () => {
        const r = await sdk('set', admin.set({ key: 'k1', value: 'v1-a' }));
        assert.ok(r.id > 0, 'Set returned no tx id');
        assert.strictEqual(r.nentries, 1, 'Set tx must have 1 entry');
        t.k1a = r.id;
        const g = await sdk('get', admin.get({ key: 'k1' }));
        assert.deepStrictEqual(g, { tx: r.id, key: 'k1', value: 'v1-a' });
        await expectReject('get of a missing key', admin.get({ key: 'no-such-key' }));
    }, { critical: true });

    await step('header_version_0', async () => {
        const v = await rawHeaderVersion(admin, t.k1a);
        assert.strictEqual(v, 0, `tx ${t.k1a} of ${DB_V0} has header version ${v}; the SDK verifies only version 0`);
    }, { critical: true });

    await step('verified_set', async () => {
        // First verified write: the state may still be the one read at use_database.
        const r1 = await sdk('verifiedSet', admin.verifiedSet({ key: 'k2', value: 'v2' }));
        assert.ok(r1.id > t.k1a && r1.nentries === 1, `verifiedSet header: ${JSON.stringify(r1)}`);
        t.k2 = r1.id;
        // Second one proves from the state the first one stored.
        const r2 = await sdk('verifiedSet', admin.verifiedSet({ key: 'k1', value: 'v1-b' }));
        assert.strictEqual(r2.id, r1.id + 1, 'verifiedSet tx ids are not consecutive');
        t.k1b = r2.id;
        const g = await sdk('get', admin.get({ key: 'k1' }));
        assert.deepStrictEqual(g, { tx: t.k1b, key: 'k1', value: 'v1-b' });
        assert.strictEqual(await rawHeaderVersion(admin, t.k1b), 0, 'verifiedSet wrote a header version != 0');
    });

    await step('set_all', async () => {
        // Grow the tree past a few powers of two so later proofs have real inclusion and
        // consistency paths, and write one 3-entry tx (odd htree width).
        for (let i = 0; i < 9; i++) await sdk('set', admin.set({ key: `fill${i}`, value: `f${i}` }));
        const r = await sdk('setAll', admin.setAll({
            kvsList: [{ key: 'm1', value: 'mv1' }, { key: 'm2', value: 'mv2' }, { key: 'm3', value: 'mv3' }],
        }));
        assert.strictEqual(r.nentries, 3, 'setAll tx must have 3 entries');
        t.multi = r.id;
        for (const [k, v] of [['m1', 'mv1'], ['m2', 'mv2'], ['m3', 'mv3']]) {
            const g = await sdk('get', admin.get({ key: k }));
            assert.deepStrictEqual(g, { tx: t.multi, key: k, value: v });
        }
    });

    await step('verified_get', async () => {
        // Key written after the trusted state: the proof goes forward from the state.
        const a = await sdk('verifiedGet', admin.verifiedGet({ key: 'm2' }));
        assert.strictEqual(a.tx, t.multi);
        assert.strictEqual(a.key, 'm2');
        assert.strictEqual(a.value, 'mv2');
        // Key written before the trusted state: the proof goes from its tx up to the state.
        const b = await sdk('verifiedGet', admin.verifiedGet({ key: 'k2' }));
        assert.deepStrictEqual([b.tx, b.key, b.value], [t.k2, 'k2', 'v2']);
        const c = await sdk('verifiedGet', admin.verifiedGet({ key: 'k1' }));
        assert.deepStrictEqual([c.tx, c.key, c.value], [t.k1b, 'k1', 'v1-b']);
        // An older value, read at its tx.
        const d = await sdk('verifiedGetAt', admin.verifiedGetAt({ key: 'k1', attx: t.k1a }));
        assert.deepStrictEqual([d.tx, d.key, d.value], [t.k1a, 'k1', 'v1-a']);
    });

    await step('verified_tx_by_id', async () => {
        const checkTx = (tx, id, kvs) => {
            assert.strictEqual(tx.metadata.id, id, 'tx id');
            assert.strictEqual(tx.metadata.nentries, kvs.length, 'tx nentries');
            assert.strictEqual(tx.entriesList.length, kvs.length, 'tx entries count');
            tx.entriesList.forEach((e, i) => {
                assert.ok(b64(e.key).equals(prefixed(kvs[i][0])),
                    `entry ${i} key is ${b64(e.key).toString('hex')}, want 00 || "${kvs[i][0]}" in commit order`);
                assert.ok(b64(e.hvalue).equals(sha256(prefixed(kvs[i][1]))),
                    `entry ${i} hValue is not sha256(0x00 || value)`);
            });
        };
        // Older than the trusted state.
        checkTx(await sdk('verifiedTxById', admin.verifiedTxById({ tx: t.k1a })), t.k1a, [['k1', 'v1-a']]);
        checkTx(await sdk('verifiedTxById', admin.verifiedTxById({ tx: t.multi })), t.multi,
            [['m1', 'mv1'], ['m2', 'mv2'], ['m3', 'mv3']]);
        // Newer than the trusted state.
        const r = await sdk('set', admin.set({ key: 'k3', value: 'v3' }));
        t.k3 = r.id;
        checkTx(await sdk('verifiedTxById', admin.verifiedTxById({ tx: t.k3 })), t.k3, [['k3', 'v3']]);
        const plain = await sdk('txById', admin.txById({ tx: t.k2 }));
        checkTx(plain, t.k2, [['k2', 'v2']]);
    });

    await step('history', async () => {
        const ids = [];
        for (const v of ['h-a', 'h-b', 'h-c']) ids.push((await sdk('set', admin.set({ key: 'hk', value: v }))).id);
        const h = await sdk('history', admin.history({ key: 'hk' }));
        assert.deepStrictEqual(h.entriesList,
            [{ tx: ids[0], key: 'hk', value: 'h-a' }, { tx: ids[1], key: 'hk', value: 'h-b' }, { tx: ids[2], key: 'hk', value: 'h-c' }]);
        const d = await sdk('history desc', admin.history({ key: 'hk', desc: true }));
        assert.deepStrictEqual(d.entriesList.map((e) => e.value), ['h-c', 'h-b', 'h-a'], 'history desc order');
        const p = await sdk('history offset/limit', admin.history({ key: 'hk', offset: 1, limit: 1 }));
        assert.deepStrictEqual(p.entriesList.map((e) => e.value), ['h-b'], 'history offset 1 limit 1');
        t.hk = ids;
    });

    await step('scan', async () => {
        // Written out of order; scan returns key order.
        for (const [k, v] of [['scan_b', 'sb'], ['scan_a', 'sa'], ['scan_c', 'sc']])
            await sdk('set', admin.set({ key: k, value: v }));
        const s = await sdk('scan', admin.scan({ prefix: 'scan_' }));
        assert.deepStrictEqual(s.entriesList.map((e) => [e.key, e.value]),
            [['scan_a', 'sa'], ['scan_b', 'sb'], ['scan_c', 'sc']], 'scan ascending');
        const d = await sdk('scan desc', admin.scan({ prefix: 'scan_', desc: true }));
        assert.deepStrictEqual(d.entriesList.map((e) => e.key), ['scan_c', 'scan_b', 'scan_a'], 'scan descending');
        const l = await sdk('scan limit', admin.scan({ prefix: 'scan_', limit: 2 }));
        assert.deepStrictEqual(l.entriesList.map((e) => e.key), ['scan_a', 'scan_b'], 'scan limit 2');
        for (const e of s.entriesList) assert.ok(e.tx > 0, 'scan entry without tx');
    });

    await step('reference', async () => {
        const r = await sdk('setReference', admin.setReference({ key: 'ref_k2', referencedKey: 'k2' }));
        assert.ok(r.id > 0 && r.nentries === 1, 'setReference header');
        const g = await sdk('get through reference', admin.get({ key: 'ref_k2' }));
        assert.deepStrictEqual(g, { tx: t.k2, key: 'k2', value: 'v2' }, 'get through a reference returns the referenced entry');
        // A reference bound to the tx of k1's first value keeps returning that value.
        await sdk('setReferenceAt', admin.setReferenceAt({ key: 'ref_k1_old', referencedKey: 'k1', attx: t.k1a }));
        const o = await sdk('get through bound reference', admin.get({ key: 'ref_k1_old' }));
        assert.deepStrictEqual(o, { tx: t.k1a, key: 'k1', value: 'v1-a' }, 'bound reference');
        // An unbound one follows the latest value.
        await sdk('setReference', admin.setReference({ key: 'ref_k1', referencedKey: 'k1' }));
        await sdk('set', admin.set({ key: 'k1', value: 'v1-c' }));
        const n = await sdk('get through unbound reference', admin.get({ key: 'ref_k1' }));
        assert.strictEqual(n.value, 'v1-c', 'unbound reference must follow the latest value');
        t.k1c = n.tx;
    });

    await step('verified_set_reference', async () => {
        const r = await sdk('verifiedSetReference', admin.verifiedSetReference({ key: 'vref_m1', referencedKey: 'm1' }));
        assert.ok(r.id > 0 && r.nentries === 1, `verifiedSetReference header: ${JSON.stringify(r)}`);
        t.vref = r.id;
        const g = await sdk('get', admin.get({ key: 'vref_m1' }));
        assert.deepStrictEqual(g, { tx: t.multi, key: 'm1', value: 'mv1' });
        // verifiedGet through the reference proves the reference entry (its tx) and returns the
        // referenced key and value.
        const v = await sdk('verifiedGet through reference', admin.verifiedGet({ key: 'vref_m1' }));
        assert.strictEqual(v.tx, t.vref, 'verifiedGet through a reference reports the reference tx');
        assert.strictEqual(v.key, 'm1');
        assert.strictEqual(v.value, 'mv1');
        assert.ok(v.referencedby, 'Entry.referencedBy missing');
        assert.strictEqual(v.referencedby.tx, t.vref, 'referencedBy.tx');
        assert.strictEqual(b64(v.referencedby.key).toString(), 'vref_m1', 'referencedBy.key');
        assert.strictEqual(v.referencedby.attx, 0, 'referencedBy.atTx');
    });

    await step('zadd_zscan', async () => {
        for (const [k, score] of [['scan_a', 3], ['scan_b', 1], ['scan_c', 2]])
            await sdk('zAdd', admin.zAdd({ set: 'zs', score, key: k }));
        const z = await sdk('zScan', admin.zScan({ set: 'zs' }));
        assert.deepStrictEqual(z.entriesList.map((e) => [e.set, e.key, e.score, e.attx]),
            [['zs', 'scan_b', 1, 0], ['zs', 'scan_c', 2, 0], ['zs', 'scan_a', 3, 0]], 'zScan ascending by score');
        const d = await sdk('zScan desc', admin.zScan({ set: 'zs', desc: true }));
        assert.deepStrictEqual(d.entriesList.map((e) => e.key), ['scan_a', 'scan_c', 'scan_b'], 'zScan descending');
        const l = await sdk('zScan limit', admin.zScan({ set: 'zs', limit: 2 }));
        assert.deepStrictEqual(l.entriesList.map((e) => e.key), ['scan_b', 'scan_c'], 'zScan limit 2');
        const m = await sdk('zScan min/max', admin.zScan({ set: 'zs', minscore: { score: 1.5 }, maxscore: { score: 2.5 } }));
        assert.deepStrictEqual(m.entriesList.map((e) => e.key), ['scan_c'], 'zScan score range [1.5, 2.5]');
        // A member bound to the tx of k1's first value.
        await sdk('zAddAt', admin.zAddAt({ set: 'zs_at', score: 5, key: 'k1', attx: t.k1a }));
        const b = await sdk('zScan bound', admin.zScan({ set: 'zs_at' }));
        assert.deepStrictEqual(b.entriesList.map((e) => [e.key, e.score, e.attx]), [['k1', 5, t.k1a]], 'bound zAdd member');
    });

    await step('verified_zadd', async () => {
        const r = await sdk('verifiedZAdd', admin.verifiedZAdd({ set: 'zs', score: 1.5, key: 'k2' }));
        assert.ok(r.id > 0 && r.nentries === 1, `verifiedZAdd header: ${JSON.stringify(r)}`);
        const z = await sdk('zScan', admin.zScan({ set: 'zs' }));
        assert.deepStrictEqual(z.entriesList.map((e) => [e.key, e.score]),
            [['scan_b', 1], ['k2', 1.5], ['scan_c', 2], ['scan_a', 3]], 'zScan after verifiedZAdd');
        // Verified reads still pass after the sorted-set tx (state advanced by verifiedZAdd).
        const g = await sdk('verifiedGet', admin.verifiedGet({ key: 'k1' }));
        assert.deepStrictEqual([g.tx, g.value], [t.k1c, 'v1-c']);
    });

    await step('exec_all', async () => {
        const r = await withExecAllFix(() => sdk('execAll', admin.execAll({
            operationsList: [
                { kv: { key: enc('ea_k'), value: enc('ea_v') } },
                { ref: { key: enc('ea_ref'), referencedkey: enc('ea_k'), attx: 0, boundref: false } },
                { zadd: { set: enc('ea_zs'), score: 7, key: enc('ea_k'), attx: 0, boundref: true } },
            ],
        })));
        assert.ok(r.id > 0, 'execAll returned no tx id');
        assert.strictEqual(r.nentries, 3, 'execAll tx must have 3 entries');
        t.execAll = r.id;
        assert.deepStrictEqual(await sdk('get', admin.get({ key: 'ea_k' })), { tx: r.id, key: 'ea_k', value: 'ea_v' });
        assert.deepStrictEqual(await sdk('get', admin.get({ key: 'ea_ref' })), { tx: r.id, key: 'ea_k', value: 'ea_v' });
        const z = await sdk('zScan', admin.zScan({ set: 'ea_zs' }));
        // boundRef with atTx 0 inside ExecAll binds the member to the ExecAll tx itself.
        assert.deepStrictEqual(z.entriesList.map((e) => [e.key, e.score, e.attx]), [['ea_k', 7, r.id]]);
        const v = await sdk('verifiedTxById', admin.verifiedTxById({ tx: r.id }));
        assert.strictEqual(v.entriesList.length, 3, 'ExecAll tx entries');
        assert.ok(b64(v.entriesList[0].key).equals(prefixed('ea_k')), 'ExecAll entry 0 is the kv');
        assert.ok(b64(v.entriesList[1].key).equals(prefixed('ea_ref')), 'ExecAll entry 1 is the reference');
        assert.strictEqual(b64(v.entriesList[2].key)[0], 0x01, 'ExecAll entry 2 is the sorted-set key');
    });

    await step('tx_scan', async () => {
        const a = await sdk('txScan', admin.txScan({ initialtx: t.k2, limit: 3, desc: false }));
        assert.deepStrictEqual(a.txsList.map((x) => x.metadata.id), [t.k2, t.k2 + 1, t.k2 + 2], 'txScan ascending');
        assert.ok(b64(a.txsList[0].entriesList[0].key).equals(prefixed('k2')), 'txScan first tx entry');
        const d = await sdk('txScan desc', admin.txScan({ initialtx: t.execAll, limit: 2, desc: true }));
        assert.deepStrictEqual(d.txsList.map((x) => x.metadata.id), [t.execAll, t.execAll - 1], 'txScan descending');
        assert.strictEqual(d.txsList[0].entriesList.length, 3, 'txScan entries of the ExecAll tx');
    });

    // Users -------------------------------------------------------------------------------------
    const user = newClient();

    await step('create_user', async () => {
        await sdk('createUser', admin.createUser({ user: USER, password: USER_PW1, permission: 1, database: DB_V0 }));
        await expectReject('createUser of an existing user',
            admin.createUser({ user: USER, password: USER_PW1, permission: 1, database: DB_V0 }));
    });

    await step('list_users', async () => {
        const r = await sdk('listUsers', admin.listUsers());
        const u = r.usersList.find((x) => x.user === USER);
        assert.ok(u, `${USER} missing from ListUsers`);
        assert.strictEqual(u.active, true, 'new user is not active');
        assert.strictEqual(u.createdby, ADMIN_USER, 'createdBy');
        assert.deepStrictEqual(u.permissionsList, [{ database: DB_V0, permission: 1 }], 'permissions');
        assert.ok(r.usersList.some((x) => x.user === ADMIN_USER), 'immudb missing from ListUsers');
    });

    await step('change_password', async () => {
        await sdk('changePassword', admin.changePassword({ user: USER, oldpassword: USER_PW1, newpassword: USER_PW2 }));
        await expectReject('login with the old password', user.login({ user: USER, password: USER_PW1 }),
            /invalid user name or password/i);
        const r = await sdk('login', user.login({ user: USER, password: USER_PW2 }));
        assert.ok(r.token.length > 0, 'empty token');
    });

    await step('read_only_user', async () => {
        await sdk('useDatabase', user.useDatabase({ databasename: DB_V0 }));
        assert.deepStrictEqual(await sdk('get', user.get({ key: 'k2' })), { tx: t.k2, key: 'k2', value: 'v2' });
        await sdk('currentState', user.currentState());
        const v = await sdk('verifiedGet', user.verifiedGet({ key: 'k2' }));
        assert.deepStrictEqual([v.tx, v.value], [t.k2, 'v2']);
        await expectReject('set by a read-only user', user.set({ key: 'ro', value: 'x' }), /permission denied/i);
        await expectReject('useDatabase of a database without permission',
            user.useDatabase({ databasename: DB_LEGACY }));
    });

    await step('change_permission', async () => {
        await sdk('changePermission', admin.changePermission({ action: pb.PermissionAction.GRANT, permission: 2, username: USER, database: DB_V0 }));
        const r = await sdk('listUsers', admin.listUsers());
        const u = r.usersList.find((x) => x.user === USER);
        assert.deepStrictEqual(u && u.permissionsList, [{ database: DB_V0, permission: 2 }], 'permission after GRANT');
        // immudb drops the user's login on a permission change: log in again.
        await sdk('login', user.login({ user: USER, password: USER_PW2 }));
        await sdk('useDatabase', user.useDatabase({ databasename: DB_V0 }));
        const s = await sdk('set by read-write user', user.set({ key: 'rw', value: 'by-user' }));
        const w = await sdk('verifiedSet by read-write user', user.verifiedSet({ key: 'rw', value: 'by-user-2' }));
        assert.strictEqual(w.id, s.id + 1);
        assert.deepStrictEqual(await sdk('get', admin.get({ key: 'rw' })), { tx: w.id, key: 'rw', value: 'by-user-2' });
        await sdk('changePermission', admin.changePermission({ action: pb.PermissionAction.REVOKE, permission: 2, username: USER, database: DB_V0 }));
        await sdk('login', user.login({ user: USER, password: USER_PW2 }));
        await expectReject('useDatabase after REVOKE', user.useDatabase({ databasename: DB_V0 }));
    });

    await step('logout', async () => {
        await sdk('logout', user.logout());
        await expectReject('a call with the logged-out user token', user.listDatabases());
        await sdk('logout', admin.logout());
        await expectReject('a call with the logged-out admin token', admin.get({ key: 'k1' }));
    });

    finish();
}

main().catch((e) => {
    failures++;
    console.log(`FAIL internal: ${describe(e)}`);
    finish();
});
