package dev.kasoku.common.model;

/** Which tenant's site a hostname belongs to. */
public record HostBinding(String hostname, String tenant, String site) {}
