// Timestamps leave PostgreSQL as RFC 3339 text in UTC with microseconds
// (sessions run with TimeZone UTC, see libs/pg), which is also what a
// keyset cursor carries: parsing it back gives the exact same timestamptz.
#pragma once

#define AETHER_SQL_TIME(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
