#!/usr/bin/env python3
"""Small helpers for scripts/bench: request bodies, a Twilio signature, the GCRA script text,
h2load output parsing and document counts. Standard library only, except `count` (pymongo)."""
import base64
import datetime
import hashlib
import hmac
import json
import re
import sys
import urllib.parse


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def track_event(i, now):
    # ~330 bytes as sent; no messageId, so inlet generates one and every event is new.
    return {
        "type": "track",
        "userId": "user-%05d" % (i % 99991),
        "anonymousId": "anon-%07d" % (i % 9999999),
        "event": "Order Completed",
        "properties": {"orderId": "o-%07d" % i, "total": 129.5, "currency": "EUR", "coupon": None},
        "context": {"ip": "203.0.113.7", "library": {"name": "analytics.js", "version": "5.2.0"}},
        "timestamp": iso(now - datetime.timedelta(milliseconds=250)),
        "sentAt": iso(now),
    }


def cmd_bodies(directory, per_batch):
    now = datetime.datetime.now(datetime.timezone.utc)
    track = json.dumps(track_event(1, now), separators=(",", ":"))
    batch = json.dumps({"batch": [track_event(i, now) for i in range(int(per_batch))], "sentAt": iso(now)},
                       separators=(",", ":"))
    with open(f"{directory}/track.json", "w") as f:
        f.write(track)
    with open(f"{directory}/batch.json", "w") as f:
        f.write(batch)
    print(len(track), len(batch))


def cmd_twilio(directory, url, token):
    """A Twilio status callback as a form body, and X-Twilio-Signature: base64 HMAC-SHA1 of the URL
    followed by every parameter name and value, sorted by name (Twilio's documented scheme)."""
    params = [
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"), ("ApiVersion", "2010-04-01"),
        ("From", "+15005550006"), ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("MessageStatus", "delivered"), ("SmsSid", "SM0123456789abcdef0123456789abcdef"),
        ("SmsStatus", "delivered"), ("To", "+15551234567"),
    ]
    body = urllib.parse.urlencode(params)
    signed = url + "".join(k + v for k, v in sorted(params))
    signature = base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    with open(f"{directory}/twilio.form", "w") as f:
        f.write(body)
    print(signature)


def cmd_gcra(swift_file):
    """The GCRA Lua source from GCRAScript.swift (multi-line literal, closing-quote indentation removed)."""
    text = open(swift_file).read()
    m = re.search(r'source\s*=\s*"""\n(.*?)\n([ \t]*)"""', text, re.S)
    if not m:
        sys.exit("no script literal in " + swift_file)
    indent = m.group(2)
    lines = [l[len(indent):] if l.startswith(indent) else l.lstrip() for l in m.group(1).split("\n")]
    sys.stdout.write("\n".join(lines))


def cmd_h2load(path):
    """Prints: seconds req_per_s done succeeded s2xx s3xx s4xx s5xx (tab-separated)."""
    text = open(path).read()
    fin = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", text)
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded", text)
    st = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not (fin and req and st):
        sys.exit("cannot parse h2load output " + path)
    seconds = float(fin.group(1)) / (1000.0 if fin.group(2) == "ms" else 1.0)
    print("\t".join(str(x) for x in [seconds, fin.group(3), req.group(3), req.group(4), *st.groups()]))


def cmd_metrics(url):
    """From inlet's Prometheus text: store batch-size and flush-duration sums and counts."""
    import urllib.request
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    totals = {}
    for line in text.splitlines():
        m = re.match(r"(inlet_store_(?:batch_size|flush_duration(?:_seconds)?|flush_duration_nanoseconds)_(?:sum|count))(?:\{[^}]*\})? ([0-9.eE+-]+)$", line)
        if m:
            totals[m.group(1)] = totals.get(m.group(1), 0.0) + float(m.group(2))
    flush = [k[:-4] for k in totals if k.startswith("inlet_store_flush_duration") and k.endswith("_sum")]
    f = flush[0] if flush else "inlet_store_flush_duration"
    print(totals.get("inlet_store_batch_size_sum", 0), totals.get("inlet_store_batch_size_count", 0),
          totals.get(f + "_sum", 0), totals.get(f + "_count", 0), f)


def cmd_count(url, database, collection, tenant):
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=10000)
    print(client[database][collection].count_documents({"tenantId": tenant}))


def cmd_queries(url):
    """Queries the server has answered since it started (serverStatus opcounters.query)."""
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=10000)
    print(client.admin.command("serverStatus").get("opcounters", {}).get("query", 0))


def cmd_users_csv(path, megabytes):
    """A users CSV of about `megabytes` MB: userId plus nine typed trait columns."""
    target = int(float(megabytes) * 1_000_000)
    plans = ["free", "pro", "enterprise"]
    written = 0
    with open(path, "w", newline="") as out:
        header = "userId,email,name,age,plan,vip,score,signedUp,city,note\n"
        out.write(header)
        written += len(header)
        i = 0
        while written < target:
            line = (f"user-{i},user{i}@example.com,\"User {i}\",{18 + i % 60},{plans[i % 3]},"
                    f"{'true' if i % 7 == 0 else 'false'},{i % 1000}.{i % 100:02d},2024-05-{1 + i % 28:02d},"
                    f"City {i % 500},\"note, with comma {i}\"\n")
            out.write(line)
            written += len(line)
            i += 1


def cmd_engine(port, outfile):
    """Plays the campaign engine: answers 200 to POST /v1/triggers and appends, per trigger, the
    milliseconds from its createdAt (set when the event was accepted) to its arrival here."""
    import http.server
    out = open(outfile, "a", buffering=1)

    class Engine(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            arrived = datetime.datetime.now(datetime.timezone.utc)
            try:
                created = datetime.datetime.fromisoformat(json.loads(body)["createdAt"].replace("Z", "+00:00"))
                out.write("%.3f\n" % ((arrived - created).total_seconds() * 1000))
            except (ValueError, KeyError):
                pass
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Engine).serve_forever()


def cmd_percentiles(path):
    """Count, p50 and p99 of the numbers in a file, one per line."""
    values = sorted(float(line) for line in open(path) if line.strip())
    if not values:
        print("0 0 0")
        return
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(len(values), "%.1f" % pick(0.50), "%.1f" % pick(0.99))


if __name__ == "__main__":
    name, args = sys.argv[1], sys.argv[2:]
    {"bodies": cmd_bodies, "twilio": cmd_twilio, "gcra": cmd_gcra, "h2load": cmd_h2load,
     "count": cmd_count, "queries": cmd_queries, "metrics": cmd_metrics, "users_csv": cmd_users_csv,
     "engine": cmd_engine, "percentiles": cmd_percentiles}[name](*args)
