/**
 * Which addresses an image download may reach: the table of non-public ranges, names judged by what they
 * resolve to, and the connect-time lookup that refuses a name resolving to a non-public address.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import { classifyHost, isNonPublicAddress, NON_PUBLIC_CODE, publicOnlyLookup, refuseLiteral } from "../../../src/lib/http/address-policy";

describe("address policy", () => {
  it("tells non-public addresses from public ones, IPv4, IPv6 and IPv4 written as IPv6", () => {
    const nonPublic = [
      "127.0.0.1",
      "127.8.9.10",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.20",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fd00::1",
      "fc12::3",
      "fe80::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:a00:1",
      "[::1]",
    ];
    const isPublic = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:808:808", "not-an-ip"];
    for (const a of nonPublic) assert.equal(isNonPublicAddress(a), true, a);
    for (const a of isPublic) assert.equal(isNonPublicAddress(a), false, a);
  });

  it("judges a URL's literal host: loopback, private and localhost names are refused, public ones pass", () => {
    for (const host of ["127.0.0.1", "[::1]", "[::ffff:7f00:1]", "localhost", "api.localhost", "192.168.0.5"]) {
      assert.ok(refuseLiteral(host), host);
      assert.equal((refuseLiteral(host) as { code?: string }).code, NON_PUBLIC_CODE);
    }
    for (const host of ["8.8.8.8", "images.example.com"]) assert.equal(refuseLiteral(host), undefined, host);
  });

  it("judges a name by every address it resolves to; a name that does not resolve (in time) is unknown", async () => {
    const table: Record<string, string[]> = {
      "lan.example": ["192.168.1.9"],
      "mixed.example": ["8.8.8.8", "10.1.1.1"],
      "cdn.example": ["8.8.4.4"],
    };
    const resolve = async (host: string) => {
      const list = table[host];
      if (!list) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
      return list.map((address) => ({ address, family: 4 }));
    };
    assert.equal(await classifyHost("lan.example", resolve), "non-public");
    assert.equal(await classifyHost("mixed.example", resolve), "non-public");
    assert.equal(await classifyHost("cdn.example", resolve), "public");
    assert.equal(await classifyHost("nowhere.example", resolve), "unknown");
    assert.equal(await classifyHost("127.0.0.1", resolve), "non-public");
    assert.equal(await classifyHost("[::1]", resolve), "non-public");
    assert.equal(await classifyHost("8.8.8.8", resolve), "public");
    assert.equal(await classifyHost("localhost", resolve), "non-public");
    // a resolver that never answers: unknown after the timeout
    const started = Date.now();
    assert.equal(await classifyHost("slow.example", () => new Promise(() => undefined), 100), "unknown");
    assert.ok(Date.now() - started < 1000);
  });

  it("the connect-time lookup refuses a name that resolves to loopback: no connection is made", async () => {
    let accepted = 0;
    const server = net.createServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as net.AddressInfo;
    try {
      const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
        const socket = net.connect({ host: "localhost", port, lookup: publicOnlyLookup as never, family: 4 });
        socket.once("connect", () => reject(new Error("connected to a loopback address")));
        socket.once("error", resolve);
      });
      assert.equal(err.code, NON_PUBLIC_CODE);
      assert.match(err.message, /localhost \(127\.0\.0\.1\) is a loopback, private or link-local address/);
      assert.equal(accepted, 0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
