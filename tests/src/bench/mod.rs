//! The benchmark harness: each benchmark measures its subject and a baseline in the
//! same run and reports ratios, because absolute times on shared machines mean little.
