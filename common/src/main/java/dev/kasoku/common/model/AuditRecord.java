package dev.kasoku.common.model;

import java.time.Instant;

/**
 * One record of an audit hash chain: an audit event with its place in its chain. Each tenant has
 * one chain, the platform (operator actions, tenant creation and erasure) another.
 *
 * @param seq position in the chain, from 1, without gaps
 * @param ts when the action happened (UTC, millisecond precision)
 * @param tenant the tenant the action concerns; null for platform actions
 * @param requestId the API request that caused it; null when none did
 * @param prevHash {@link #hash} of the previous record (64 zeros before the first)
 * @param hash lowercase hex SHA-256 of this record's canonical encoding, which includes
 *     {@code prevHash} (docs/audit.md says how to recompute it)
 */
public record AuditRecord(long seq, Instant ts, String tenant, String actor, String action, String target,
                          String sourceIp, String outcome, String requestId, String prevHash, String hash) {}
