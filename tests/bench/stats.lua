-- wrk script: print one machine-readable line with the figures the bench needs.
-- Every request carries X-Forwarded-Proto: https (set on the command line) so that
-- production settings (SSL redirect on) answer 200 on loopback HTTP.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
