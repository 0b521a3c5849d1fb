// The beacon's queue and resend logic (analytics/static/analytics/beat_queue.js): what a
// student's phone does with beats when the network or the server fails.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  MAX_BATCH,
  MAX_QUEUE,
  QUEUE_KEY,
  beatInterval,
  createBeatQueue,
  createBeatSender,
  retryAfter,
} from "../../analytics/static/analytics/beat_queue.js";
import { MemoryStorage } from "./memory_storage.js";

const beat = (seq, token = "t1") => ({
  token,
  seq,
  watched_s: seq * 15,
  max_pos_s: seq * 15,
  duration_s: 600,
});

// A server that answers each POST with the next status in `statuses` ("offline" = the fetch
// rejects, as it does without network), recording what it was sent.
function server(...statuses) {
  const calls = [];
  const post = (path, body, keepalive) => {
    calls.push({ path, body: JSON.parse(JSON.stringify(body)), keepalive });
    const status = statuses.length ? statuses.shift() : 202;
    if (status === "offline") return Promise.reject(new TypeError("Failed to fetch"));
    return Promise.resolve({
      status,
      headers: { get: (name) => (name === "X-Beat-Interval" ? "30" : null) },
    });
  };
  return { post, calls };
}

describe("the queue in localStorage", () => {
  it("keeps beats in storage, so a reload or another page finds them", () => {
    const storage = new MemoryStorage();
    createBeatQueue(storage).add(beat(1));
    createBeatQueue(storage).add(beat(2));
    assert.deepEqual(
      JSON.parse(storage.getItem(QUEUE_KEY)).map((b) => b.seq),
      [1, 2],
    );
    assert.equal(createBeatQueue(storage).size(), 2);
  });

  it("queues a beat (token, seq) only once", () => {
    const queue = createBeatQueue(new MemoryStorage());
    queue.add(beat(1));
    queue.add(beat(1));
    queue.add(beat(1, "t2"));
    assert.equal(queue.size(), 2);
  });

  it("keeps only the newest beats when it is full", () => {
    const queue = createBeatQueue(new MemoryStorage());
    for (let seq = 1; seq <= MAX_QUEUE + 5; seq++) queue.add(beat(seq));
    const kept = queue.load();
    assert.equal(kept.length, MAX_QUEUE);
    assert.equal(kept[0].seq, 6);
    assert.equal(kept.at(-1).seq, MAX_QUEUE + 5);
  });

  it("forgets only what was sent", () => {
    const queue = createBeatQueue(new MemoryStorage());
    [1, 2, 3].forEach((seq) => queue.add(beat(seq)));
    queue.forget([beat(1), beat(2, "another play")]);
    assert.deepEqual(
      queue.load().map((b) => [b.token, b.seq]),
      [
        ["t1", 2],
        ["t1", 3],
      ],
    );
  });

  it("treats garbage, or storage that throws, as an empty queue", () => {
    const storage = new MemoryStorage();
    storage.setItem(QUEUE_KEY, "{not json");
    assert.deepEqual(createBeatQueue(storage).load(), []);
    storage.setItem(QUEUE_KEY, '{"seq": 1}');
    assert.deepEqual(createBeatQueue(storage).load(), []);
    const full = createBeatQueue(new MemoryStorage().failing());
    full.add(beat(1)); // does not throw
    assert.equal(full.size(), 0);
    assert.equal(createBeatQueue(null).size(), 0);
  });
});

describe("sending and resending", () => {
  it("sends the oldest beats in batches and forgets them on a 2xx", async () => {
    const queue = createBeatQueue(new MemoryStorage());
    for (let seq = 1; seq <= MAX_BATCH + 3; seq++) queue.add(beat(seq));
    const { post, calls } = server(202, 202);
    const sender = createBeatSender({ queue, post });
    assert.equal(await sender.flush(), true);
    assert.equal(calls[0].path, "plays/beat");
    assert.equal(calls[0].body.length, MAX_BATCH);
    assert.equal(calls[0].body[0].seq, 1);
    assert.equal(queue.size(), 3);
    await sender.flush();
    assert.equal(queue.size(), 0);
  });

  it("keeps the batch after a network failure and sends it again on the next flush", async () => {
    const queue = createBeatQueue(new MemoryStorage());
    queue.add(beat(1));
    const { post, calls } = server("offline", 202);
    const sender = createBeatSender({ queue, post });
    assert.equal(await sender.flush(), false);
    assert.equal(queue.size(), 1);
    queue.add(beat(2)); // watching went on meanwhile
    assert.equal(await sender.flush(), true);
    assert.deepEqual(
      calls.map((c) => c.body.map((b) => b.seq)),
      [[1], [1, 2]],
    );
    assert.equal(queue.size(), 0);
  });

  it("keeps the batch after a 5xx, settles it on a 4xx", async () => {
    const queue = createBeatQueue(new MemoryStorage());
    queue.add(beat(1));
    const { post } = server(503, 400);
    const sender = createBeatSender({ queue, post });
    await sender.flush();
    assert.equal(queue.size(), 1, "503: the server will take it later");
    await sender.flush();
    assert.equal(queue.size(), 0, "400: it would be refused again");
  });

  it("keeps beats queued while a batch was on its way", async () => {
    const queue = createBeatQueue(new MemoryStorage());
    queue.add(beat(1));
    let answer;
    const post = () => new Promise((resolve) => (answer = resolve));
    const sender = createBeatSender({ queue, post });
    const sent = sender.flush();
    queue.add(beat(2));
    answer({ status: 202, headers: { get: () => null } });
    await sent;
    assert.deepEqual(
      queue.load().map((b) => b.seq),
      [2],
    );
  });

  it("sends one batch at a time", async () => {
    const queue = createBeatQueue(new MemoryStorage());
    queue.add(beat(1));
    const { post, calls } = server(202);
    const sender = createBeatSender({ queue, post });
    const first = sender.flush();
    assert.equal(sender.isSending(), true);
    assert.equal(await sender.flush(), false);
    await first;
    assert.equal(calls.length, 1);
    assert.equal(sender.isSending(), false);
  });

  it("sends nothing when nothing is queued", async () => {
    const { post, calls } = server();
    const sender = createBeatSender({ queue: createBeatQueue(new MemoryStorage()), post });
    assert.equal(await sender.flush(), false);
    assert.equal(calls.length, 0);
  });

  it("hands every answer over (the server's X-Beat-Interval)", async () => {
    const queue = createBeatQueue(new MemoryStorage());
    queue.add(beat(1));
    const seen = [];
    const { post } = server(202);
    const sender = createBeatSender({
      queue,
      post,
      onAnswer: (r) => seen.push(r.headers.get("X-Beat-Interval")),
    });
    await sender.flush();
    assert.deepEqual(seen, ["30"]);
  });
});

describe("sendBeacon on pagehide", () => {
  it("sends the newest beats with sendBeacon and keeps them queued", () => {
    const queue = createBeatQueue(new MemoryStorage());
    for (let seq = 1; seq <= MAX_BATCH + 2; seq++) queue.add(beat(seq));
    const beacons = [];
    const { post, calls } = server();
    const sender = createBeatSender({
      queue,
      post,
      api: "/api/v1/",
      sendBeacon: (url, body) => beacons.push({ url, body }) > 0,
    });
    assert.equal(sender.flushWithBeacon(), "beacon");
    assert.equal(calls.length, 0);
    assert.equal(beacons[0].url, "/api/v1/plays/beat");
    assert.equal(typeof beacons[0].body, "string"); // goes as text/plain
    const sent = JSON.parse(beacons[0].body);
    assert.equal(sent.length, MAX_BATCH);
    assert.equal(sent.at(-1).seq, MAX_BATCH + 2);
    assert.equal(queue.size(), MAX_BATCH + 2, "resending later is harmless");
  });

  it("falls back to a keepalive fetch when sendBeacon refuses or is missing", async () => {
    for (const sendBeacon of [() => false, null]) {
      const queue = createBeatQueue(new MemoryStorage());
      queue.add(beat(1));
      const { post, calls } = server("offline");
      const sender = createBeatSender({ queue, post, sendBeacon });
      assert.equal(sender.flushWithBeacon(), "fetch");
      assert.equal(calls.length, 1);
      assert.equal(calls[0].keepalive, true);
      await new Promise((resolve) => setImmediate(resolve)); // its failure is swallowed
      assert.equal(queue.size(), 1);
    }
  });

  it("sends nothing when nothing is queued", () => {
    const sender = createBeatSender({
      queue: createBeatQueue(new MemoryStorage()),
      post: () => assert.fail("no request"),
      sendBeacon: () => assert.fail("no beacon"),
    });
    assert.equal(sender.flushWithBeacon(), "nothing");
  });
});

describe("the beat interval the server asks for", () => {
  it("takes 5 to 600 seconds, ignores anything else", () => {
    assert.equal(beatInterval("60", 15000), 60000);
    assert.equal(beatInterval("5", 15000), 5000);
    assert.equal(beatInterval("600", 15000), 600000);
    for (const bad of ["4", "601", "", null, "abc", "-30"]) {
      assert.equal(beatInterval(bad, 15000), 15000, String(bad));
    }
  });
});

describe("when the server says too many requests (429)", () => {
  // A server that answers 429 with Retry-After: 30 first, then 204.
  function limited() {
    const calls = [];
    const statuses = [429, 204];
    const post = (path, body) => {
      calls.push(body);
      const status = statuses.shift() || 204;
      const headers = { "Retry-After": status === 429 ? "30" : null };
      return Promise.resolve({ status, headers: { get: (name) => headers[name] || null } });
    };
    return { post, calls };
  }

  it("keeps the beats in storage and sends nothing before Retry-After", async () => {
    const storage = new MemoryStorage();
    const queue = createBeatQueue(storage);
    let clock = 1_000_000;
    const { post, calls } = limited();
    const sent = [];
    const sender = createBeatSender({
      queue,
      post,
      sendBeacon: (url, body) => sent.push(body) > 0,
      now: () => clock,
    });
    queue.add(beat(1));
    assert.equal(await sender.flush(), false);
    assert.equal(calls.length, 1);
    assert.equal(createBeatQueue(storage).size(), 1); // still in localStorage
    queue.add(beat(2));
    clock += 29_000;
    assert.equal(await sender.flush(), false); // still waiting: nothing sent
    assert.equal(sender.flushWithBeacon(), "waiting");
    assert.equal(calls.length, 1);
    assert.equal(sent.length, 0);
    clock += 1_000;
    assert.equal(await sender.flush(), true); // then both go, and are forgotten
    assert.deepEqual(
      calls[1].map((b) => b.seq),
      [1, 2],
    );
    assert.equal(queue.size(), 0);
  });

  it("reads Retry-After as seconds or a date, within bounds", () => {
    assert.equal(retryAfter("30"), 30_000);
    assert.equal(retryAfter("0"), 1_000);
    assert.equal(retryAfter("99999"), 600_000);
    assert.equal(retryAfter(null), 60_000);
    assert.equal(retryAfter("soon"), 60_000);
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    assert.ok(Math.abs(retryAfter(inTwoMinutes) - 120_000) <= 1_000);
  });
});
