package dev.kasoku.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.store.AuditStore.Head;
import dev.kasoku.logging.impl.AuditChain;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import dev.kasoku.common.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The chain's encoding and verification, on records built in memory. */
class AuditChainTest {
  private static final Instant T = Instant.parse("2026-12-02T06:00:00.123456Z");

  private static List<AuditRecord> chain(int n) {
    List<AuditRecord> out = new ArrayList<>();
    Head head = Head.GENESIS;
    for (int i = 0; i < n; i++) {
      AuditRecord r = AuditChain.build(head, new AuditEvent(T.plusSeconds(i), "user:alice", "acme", "site.put",
          "www@" + (i + 1), "192.0.2.1", "success", "req-" + i));
      out.add(r);
      head = new Head(r.seq(), r.hash());
    }
    return out;
  }

  private static Head headOf(List<AuditRecord> records) {
    AuditRecord last = records.get(records.size() - 1);
    return new Head(last.seq(), last.hash());
  }

  /** The documented encoding, written out by hand, hashes to what the chain stores. */
  @Test
  void theHashIsTheSha256OfTheDocumentedCanonicalEncoding() throws Exception {
    AuditRecord first = chain(1).get(0);
    String canonical = "{\"seq\":1,\"ts\":\"2026-12-02T06:00:00.123Z\",\"tenant\":\"acme\",\"actor\":\"user:alice\","
        + "\"action\":\"site.put\",\"target\":\"www@1\",\"sourceIp\":\"192.0.2.1\",\"outcome\":\"success\","
        + "\"requestId\":\"req-0\",\"prevHash\":\"" + "0".repeat(64) + "\"}";
    assertThat(AuditChain.canonical(first)).isEqualTo(canonical);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    assertThat(first.hash()).isEqualTo(expected);
    assertThat(first.ts()).as("stored at the API's precision").isEqualTo(Instant.parse("2026-12-02T06:00:00.123Z"));
  }

  @Test
  void anUntouchedChainVerifies() {
    List<AuditRecord> records = chain(5);
    AuditChain.Verification v = AuditChain.check("acme", Head.GENESIS, headOf(records), records);
    assertThat(v.ok()).isTrue();
    assertThat(v.records()).isEqualTo(5);
    assertThat(v.firstBad()).isNull();
  }

  @Test
  void anEditedRecordIsFoundByItsHash() {
    List<AuditRecord> records = chain(5);
    AuditRecord r = records.get(2);
    records.set(2, new AuditRecord(r.seq(), r.ts(), r.tenant(), "user:mallory", r.action(), r.target(), r.sourceIp(),
        r.outcome(), r.requestId(), r.prevHash(), r.hash()));
    AuditChain.Verification v = AuditChain.check("acme", Head.GENESIS, headOf(records), records);
    assertThat(v.ok()).isFalse();
    assertThat(v.firstBad().seq()).isEqualTo(3);
    assertThat(v.firstBad().reason()).contains("edited");
  }

  @Test
  void anEditedRecordWithARecomputedHashBreaksTheNextLink() {
    List<AuditRecord> records = chain(5);
    AuditRecord r = records.get(2);
    AuditRecord forged = new AuditRecord(r.seq(), r.ts(), r.tenant(), "user:mallory", r.action(), r.target(),
        r.sourceIp(), r.outcome(), r.requestId(), r.prevHash(), null);
    records.set(2, new AuditRecord(r.seq(), r.ts(), r.tenant(), "user:mallory", r.action(), r.target(), r.sourceIp(),
        r.outcome(), r.requestId(), r.prevHash(), AuditChain.hash(forged)));
    AuditChain.Verification v = AuditChain.check("acme", Head.GENESIS, headOf(chain(5)), records);
    assertThat(v.ok()).isFalse();
    assertThat(v.firstBad().seq()).isEqualTo(4);
    assertThat(v.firstBad().reason()).contains("prevHash");
  }

  @Test
  void aDeletedRecordIsFoundByTheGapItLeaves() {
    List<AuditRecord> records = chain(5);
    records.remove(1);
    AuditChain.Verification v = AuditChain.check("acme", Head.GENESIS, headOf(records), records);
    assertThat(v.ok()).isFalse();
    assertThat(v.firstBad().seq()).isEqualTo(3);
    assertThat(v.firstBad().reason()).contains("missing");
  }

  @Test
  void recordsCutOffTheEndAreFoundByTheHead() {
    List<AuditRecord> records = chain(5);
    Head head = headOf(records);
    List<AuditRecord> cut = records.subList(0, 3);
    AuditChain.Verification v = AuditChain.check("acme", Head.GENESIS, head, cut);
    assertThat(v.ok()).isFalse();
    assertThat(v.firstBad().seq()).isEqualTo(5);
    assertThat(v.firstBad().reason()).contains("cut off the end");
  }

  @Test
  void aTrimmedChainVerifiesFromItsCheckpoint() {
    List<AuditRecord> records = chain(5);
    AuditRecord lastCut = records.get(1);
    List<AuditRecord> kept = records.subList(2, 5);
    assertThat(AuditChain.check("acme", new Head(lastCut.seq(), lastCut.hash()), headOf(records), kept).ok()).isTrue();
    assertThat(AuditChain.check("acme", Head.GENESIS, headOf(records), kept).ok())
        .as("without the checkpoint the cut looks like deletion").isFalse();
  }

  @Test
  void tenantLifecycleAndTenantlessEventsGoToThePlatformChain() {
    assertThat(AuditChain.chainOf(new AuditEvent(T, "operator", "acme", "tenant.delete", "acme", "", "success", null)))
        .isNull();
    assertThat(AuditChain.chainOf(new AuditEvent(T, "anonymous", null, "access.denied", "POST /v1/tenants", "", "x",
        null))).isNull();
    assertThat(AuditChain.chainOf(new AuditEvent(T, "user:a", "acme", "site.put", "www", "", "success", null)))
        .isEqualTo("acme");
  }

  /**
   * The verification script docs/audit.md gives customers, run with python3 on records encoded as
   * the API answers them, with quotes, backslashes, non-ASCII and control characters in them: it
   * accepts the real chain and rejects an edited one.
   */
  @Test
  void theDocumentedVerificationScriptAcceptsARealDownloadAndRejectsAnEditedOne() throws Exception {
    Assumptions.assumeTrue(new ProcessBuilder("python3", "--version").start().waitFor() == 0, "python3 present");
    String doc = Files.readString(Path.of("../../docs/audit.md"));
    int start = doc.indexOf("```python\n") + "```python\n".length();
    Path script = Files.createTempFile("verify", ".py");
    Files.writeString(script, doc.substring(start, doc.indexOf("```", start)));
    List<AuditRecord> records = new ArrayList<>();
    Head head = Head.GENESIS;
    String[] targets = {"www@1", "caf\u00e9 \"quoted\" back\\slash", "tab\tand\u0001ctl", "\\u00ab literal", "\u65e5\u672c"};
    for (String target : targets) {
      AuditRecord r = AuditChain.build(head, new AuditEvent(T, "user:alice", "acme", "site.put", target, "192.0.2.1",
          "success", null));
      records.add(r);
      head = new Head(r.seq(), r.hash());
    }
    StringBuilder ndjson = new StringBuilder();
    for (AuditRecord r : records) {
      ndjson.append(Json.API.writeValueAsString(r)).append('\n');
    }
    assertThat(run(script, ndjson.toString(), head.hash())).startsWith("ok: 5 records");
    String edited = ndjson.toString().replace("www@1", "www@2");
    assertThat(run(script, edited, head.hash())).contains("does not match its hash");
    Files.delete(script);
  }

  private static String run(Path script, String input, String head) throws Exception {
    Process p = new ProcessBuilder("python3", script.toString(), head).redirectErrorStream(true).start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

}
