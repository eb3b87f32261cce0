#!/usr/bin/env python3
"""Analysis helper for scripts/bench-vs-keepalived.sh (standard library only).

Reads classic pcap files written by `tcpdump -w` (Ethernet or Linux cooked capture v1 or
v2, as `tcpdump -i any` writes; microsecond or nanosecond timestamps) and prints `key=value` lines that the bench script
appends to its results file; `table` formats that results file.

  converge PCAP --t0 EPOCH --a IP --b IP --nvrid N --expect split|pure
      Per VRID: the time after which only one source advertises (the last advert of any
      source other than the one that advertises last), relative to --t0. Prints the max
      and the median over the VRIDs, how many VRIDs still had two sources advertising in
      the last second of the capture, and how many ended with the wrong master.
  steady PCAP --a IP --b IP --nvrid N --expect split|pure
      A capture taken after the CPU window: adverts per source, VRIDs heard from two
      sources, VRIDs mastered by the wrong host.
  takeover PCAP --old IP --new IP --vip IP --new-mac MAC --mdi-ms MS
      Gap from the old master's last advert to the new master's first advert after it,
      its deviation from Master_Down_Interval, and the delay from that first advert to
      the new master's first gratuitous ARP for the VIP.
  takeover-many PCAP --old IP --new IP --nvrid N --mdi-ms MS --down-at EPOCH [--per-vrid TSV]
      The same per VRID (1..N): for every VRID with an advert from --new after --old's last
      advert, the gap and its deviation from Master_Down_Interval; prints how many VRIDs
      were taken over and the median / p95 (nearest rank) / min / max deviation over them,
      plus checks: VRIDs --new advertised before --down-at (not converged), adverts from
      --old later than 5 ms after --down-at, VRIDs with two sources (or none) in the last
      0.5 s of the capture, and --old's advert intervals per VRID before --down-at (its
      rhythm: a late scheduler shows here).
  steady-lans PCAP --lans L,L... --nvrid N --a-host H --b-host H
      S5: a capture on several LANs (tcpdump -i any); routers on LAN L have addresses
      10.L.0.H. Per LAN and VRID (1..N): heard from A only, from B only, from both, or
      from neither; A's adverts per second and advert interval per VRID (median / max).
  vrrp-log LOG --t0 EPOCH
      Our daemon's log: "running N virtual router(s)" and the first and last "-> master"
      line, in seconds after --t0.
  median V...
      The median of the numbers given (NA when there are none).
  table RESULTS [--markdown]
      The results table (keepalived, vrrp, ratio vrrp/keepalived).
"""

import argparse
import statistics
import struct
import sys

VRRP_PROTO = 112


def read_pcap(path):
    """Yields (ts_seconds_float, frame_bytes, linktype)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian, nano = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian, nano = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        endian, nano = "<", True
    elif magic == b"\xa1\xb2\x3c\x4d":
        endian, nano = ">", True
    else:
        raise SystemExit(f"{path}: not a classic pcap file (pcapng is not supported)")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    hdr = struct.Struct(endian + "IIII")
    div = 1e9 if nano else 1e6
    while off + 16 <= len(data):
        sec, frac, incl, _orig = hdr.unpack_from(data, off)
        off += 16
        frame = data[off:off + incl]
        off += incl
        yield sec + frac / div, frame, linktype


def packets(path):
    """Yields dicts: kind 'vrrp' (ts, src, vrid, prio, ver) or 'arp' (ts, smac, sip, tip, op)."""
    for ts, frame, linktype in read_pcap(path):
        if linktype == 1:  # Ethernet
            if len(frame) < 14:
                continue
            smac = frame[6:12]
            etype = struct.unpack("!H", frame[12:14])[0]
            payload = frame[14:]
            if etype == 0x8100 and len(payload) >= 4:
                etype = struct.unpack("!H", payload[2:4])[0]
                payload = payload[4:]
        elif linktype == 113:  # Linux cooked
            if len(frame) < 16:
                continue
            smac = frame[6:12]
            etype = struct.unpack("!H", frame[14:16])[0]
            payload = frame[16:]
        elif linktype == 276:  # Linux cooked v2 (tcpdump -i any with libpcap >= 1.10)
            if len(frame) < 20:
                continue
            etype = struct.unpack("!H", frame[0:2])[0]
            smac = frame[12:18]
            payload = frame[20:]
        else:
            continue
        if etype == 0x0800 and len(payload) >= 20:
            ihl = (payload[0] & 0x0F) * 4
            if payload[9] != VRRP_PROTO or len(payload) < ihl + 4:
                continue
            v = payload[ihl:]
            yield {
                "kind": "vrrp",
                "ts": ts,
                "src": ".".join(str(b) for b in payload[12:16]),
                "ver": v[0] >> 4,
                "vrid": v[1],
                "prio": v[2],
                "mac": smac.hex(":"),
            }
        elif etype == 0x0806 and len(payload) >= 28:
            yield {
                "kind": "arp",
                "ts": ts,
                "op": struct.unpack("!H", payload[6:8])[0],
                "smac": payload[8:14].hex(":"),
                "sip": ".".join(str(b) for b in payload[14:18]),
                "tip": ".".join(str(b) for b in payload[24:28]),
                "mac": smac.hex(":"),
            }


def expected_master(vrid, expect, a, b):
    if expect == "pure":
        return a
    return a if vrid % 2 == 1 else b


def fmt(x, nd=3):
    if x is None:
        return "NA"
    return f"{x:.{nd}f}"


def cmd_converge(args):
    by_vrid = {}
    last_ts = None
    for p in packets(args.pcap):
        if p["kind"] != "vrrp":
            continue
        last_ts = p["ts"]
        by_vrid.setdefault(p["vrid"], []).append((p["ts"], p["src"], p["prio"]))
    times = []
    unconverged = wrong = missing = 0
    worst = None
    for vrid in range(1, args.nvrid + 1):
        adv = by_vrid.get(vrid)
        if not adv:
            missing += 1
            continue
        final_src = adv[-1][1]
        others = [t for (t, s, _) in adv if s != final_src]
        first_final = min(t for (t, s, _) in adv if s == final_src)
        conv = max(others) if others else first_final
        # Still two sources in the last second: not converged.
        tail = {s for (t, s, _) in adv if t >= last_ts - 1.0}
        if len(tail) > 1:
            unconverged += 1
        if final_src != expected_master(vrid, args.expect, args.a, args.b):
            wrong += 1
        rel = conv - args.t0
        times.append(rel)
        if worst is None or rel > worst[1]:
            worst = (vrid, rel)
    n_adv = sum(len(v) for v in by_vrid.values())
    print(f"conv_max_s={fmt(max(times) if times else None)}")
    print(f"conv_p50_s={fmt(statistics.median(times) if times else None)}")
    print(f"conv_worst_vrid={worst[0] if worst else 'NA'}")
    print(f"unconverged_vrids={unconverged + missing}")
    print(f"wrong_master_vrids={wrong}")
    print(f"adverts_captured={n_adv}")


def cmd_steady(args):
    srcs = {}
    by_vrid = {}
    first = last = None
    for p in packets(args.pcap):
        if p["kind"] != "vrrp":
            continue
        first = p["ts"] if first is None else first
        last = p["ts"]
        srcs[p["src"]] = srcs.get(p["src"], 0) + 1
        by_vrid.setdefault(p["vrid"], set()).add(p["src"])
    dual = sum(1 for s in by_vrid.values() if len(s) > 1)
    wrong = sum(
        1
        for v in range(1, args.nvrid + 1)
        if by_vrid.get(v) != {expected_master(v, args.expect, args.a, args.b)}
    )
    dur = (last - first) if first is not None and last > first else None
    rate = (sum(srcs.values()) / dur) if dur else None
    print(f"steady_vrids_heard={len(by_vrid)}")
    print(f"steady_vrids_two_sources={dual}")
    print(f"steady_vrids_not_expected_master={wrong}")
    print(f"steady_adverts_per_s={fmt(rate, 0)}")
    print(f"steady_adverts_by_src={','.join(f'{k}:{v}' for k, v in sorted(srcs.items()))}")


def cmd_takeover(args):
    pk = list(packets(args.pcap))
    old = [p for p in pk if p["kind"] == "vrrp" and p["src"] == args.old and p["prio"] > 0]
    if not old:
        print("gap_ms=NA")
        print("note=no_advert_from_old_master")
        return
    last_old = old[-1]["ts"]
    new = [p for p in pk if p["kind"] == "vrrp" and p["src"] == args.new and p["ts"] > last_old]
    before = [p for p in pk if p["kind"] == "vrrp" and p["src"] == args.new and p["ts"] <= last_old]
    # Intervals between the old master's adverts (its steady rhythm) for context.
    olds = [p["ts"] for p in old]
    ivals = [(b - a) * 1e3 for a, b in zip(olds, olds[1:])]
    print(f"old_adverts={len(old)}")
    print(f"new_adverts_before_takeover={len(before)}")
    if ivals:
        print(f"old_interval_ms_median={fmt(statistics.median(ivals))}")
        print(f"old_interval_ms_max={fmt(max(ivals))}")
    if not new:
        print("gap_ms=NA")
        print("note=no_advert_from_new_master")
        return
    first_new = new[0]["ts"]
    gap = (first_new - last_old) * 1e3
    print(f"gap_ms={fmt(gap)}")
    print(f"dev_ms={fmt(gap - args.mdi_ms)}")
    garp = [
        p
        for p in pk
        if p["kind"] == "arp"
        and p["sip"] == args.vip
        and p["tip"] == args.vip
        and p["smac"].lower() == args.new_mac.lower()
        and p["ts"] > last_old
    ]
    if garp:
        print(f"garp_delay_ms={fmt((garp[0]['ts'] - first_new) * 1e3)}")
        print(f"garp_count_2s={sum(1 for p in garp if p['ts'] - first_new <= 2.0)}")
    else:
        print("garp_delay_ms=NA")
        print("garp_count_2s=0")


def pct_nearest(vals, q):
    """Nearest-rank percentile of a non-empty list."""
    v = sorted(vals)
    i = max(0, min(len(v) - 1, int(-(-q * len(v) // 100)) - 1))
    return v[i]


def cmd_takeover_many(args):
    old_ts, new_ts = {}, {}
    last_ts = None
    n_pk = 0
    for p in packets(args.pcap):
        if p["kind"] != "vrrp":
            continue
        n_pk += 1
        last_ts = p["ts"]
        if p["src"] == args.old and p["prio"] > 0:
            old_ts.setdefault(p["vrid"], []).append(p["ts"])
        elif p["src"] == args.new:
            new_ts.setdefault(p["vrid"], []).append(p["ts"])
    print(f"adverts_captured={n_pk}")
    devs, gaps, firsts, ivals = [], [], [], []
    rows = []
    b_before = old_late = 0
    for vrid in range(1, args.nvrid + 1):
        o = old_ts.get(vrid, [])
        nw = new_ts.get(vrid, [])
        if any(t < args.down_at for t in nw):
            b_before += 1
        old_late += sum(1 for t in o if t > args.down_at + 0.005)
        pre = [t for t in o if t <= args.down_at]
        ivals += [(b - a) * 1e3 for a, b in zip(pre, pre[1:])]
        if not o:
            rows.append((vrid, "NA", "NA", "NA"))
            continue
        last_old = o[-1]
        after = [t for t in nw if t > last_old]
        if not after:
            rows.append((vrid, fmt(last_old, 6), "NA", "NA"))
            continue
        gap = (after[0] - last_old) * 1e3
        gaps.append(gap)
        devs.append(gap - args.mdi_ms)
        firsts.append(after[0])
        rows.append((vrid, fmt(last_old, 6), fmt(after[0], 6), fmt(gap)))
    print(f"taken_over={len(devs)}")
    print(f"vrids_heard_from_old={len(old_ts)}")
    if devs:
        print(f"gap_p50_ms={fmt(statistics.median(gaps))}")
        print(f"dev_p50_ms={fmt(statistics.median(devs))}")
        print(f"dev_p95_ms={fmt(pct_nearest(devs, 95))}")
        print(f"dev_min_ms={fmt(min(devs))}")
        print(f"dev_max_ms={fmt(max(devs))}")
        print(f"new_first_spread_ms={fmt((max(firsts) - min(firsts)) * 1e3)}")
    else:
        for key in ("gap_p50_ms", "dev_p50_ms", "dev_p95_ms", "dev_min_ms", "dev_max_ms", "new_first_spread_ms"):
            print(f"{key}=NA")
    lasts = [v[-1] for v in old_ts.values()]
    if lasts:
        print(f"old_last_spread_ms={fmt((max(lasts) - min(lasts)) * 1e3)}")
    print(f"b_before_down={b_before}")
    print(f"old_adverts_after_down={old_late}")
    if ivals:
        print(f"old_interval_p50_ms={fmt(statistics.median(ivals))}")
        print(f"old_interval_max_ms={fmt(max(ivals))}")
    two = silent = 0
    if last_ts is not None:
        for vrid in range(1, args.nvrid + 1):
            srcs = {s for s, ts in ((args.old, old_ts.get(vrid, [])), (args.new, new_ts.get(vrid, [])))
                    if any(t >= last_ts - 0.5 for t in ts)}
            two += len(srcs) > 1
            silent += not srcs
    print(f"two_sources_after={two}")
    print(f"silent_after={silent}")
    if args.per_vrid:
        with open(args.per_vrid, "w") as f:
            f.write("vrid\told_last\tnew_first\tgap_ms\n")
            for r in rows:
                f.write("\t".join(str(x) for x in r) + "\n")


def cmd_steady_lans(args):
    lans = [int(x) for x in args.lans.split(",") if x != ""]
    a_ts, srcs = {}, {}
    first = last = None
    n_adv = stray = 0
    for p in packets(args.pcap):
        if p["kind"] != "vrrp":
            continue
        first = p["ts"] if first is None else first
        last = p["ts"]
        n_adv += 1
        o = p["src"].split(".")
        if len(o) != 4 or o[0] != "10" or o[2] != "0" or int(o[1]) not in lans:
            stray += 1
            continue
        key = (int(o[1]), p["vrid"])
        host = int(o[3])
        srcs.setdefault(key, set()).add(host)
        if host == args.a_host and p["prio"] > 0:
            a_ts.setdefault(key, []).append(p["ts"])
    only_a = only_b = both = silent = other = 0
    ivals = []
    # A's rate: per VRID, (adverts - 1) over the time from its first to its last advert,
    # summed; not biased by where the capture cuts the interval.
    a_rate = sum((len(v) - 1) / (v[-1] - v[0]) for v in a_ts.values() if len(v) > 1 and v[-1] > v[0])
    for lan in lans:
        for vrid in range(1, args.nvrid + 1):
            s = srcs.get((lan, vrid), set())
            if not s:
                silent += 1
            elif s == {args.a_host}:
                only_a += 1
            elif s == {args.b_host}:
                only_b += 1
            elif len(s) > 1:
                both += 1
            else:
                other += 1
            t = a_ts.get((lan, vrid), [])
            ivals += [(y - x) * 1e3 for x, y in zip(t, t[1:])]
    dur = (last - first) if first is not None and last > first else None
    print(f"cap_vrids_expected={len(lans) * args.nvrid}")
    print(f"cap_vrids_one_advertiser_a={only_a}")
    print(f"cap_vrids_b_only={only_b}")
    print(f"cap_vrids_two_sources={both}")
    print(f"cap_vrids_silent={silent + other}")
    print(f"cap_adverts_captured={n_adv}")
    print(f"cap_a_adverts_per_s={fmt(a_rate, 0) if a_ts else 'NA'}")
    print(f"cap_stray_adverts={stray}")
    if ivals:
        print(f"cap_a_interval_p50_ms={fmt(statistics.median(ivals), 1)}")
        print(f"cap_a_interval_max_ms={fmt(max(ivals), 1)}")


def cmd_vrrp_log(args):
    """Our daemon's log: when it logged "running N virtual router(s)" and its first and
    last "-> master" line, in seconds after --t0 (the moment it was started)."""
    import datetime

    def ts(line):
        try:
            t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
        except (ValueError, IndexError):
            return None
        return t.replace(tzinfo=datetime.timezone.utc).timestamp() - args.t0

    running = first = last = None
    with open(args.log, errors="replace") as f:
        for line in f:
            if running is None and " running " in line and "virtual router" in line:
                running = ts(line)
            elif "-> master" in line:
                t = ts(line)
                if t is not None:
                    first = t if first is None else first
                    last = t
    print(f"log_running_after_s={fmt(running)}")
    print(f"log_first_master_after_s={fmt(first)}")
    print(f"log_last_master_after_s={fmt(last)}")


def cmd_median(args):
    vals = [float(v) for v in args.values if num(v) is not None]
    print(fmt(statistics.median(vals)) if vals else "NA")


# ---- results table -------------------------------------------------------------------

def load_results(path):
    res = {"keepalived": {}, "vrrp": {}}
    meta = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            impl, key, val = line.split("\t", 2)
            if impl == "meta":
                meta[key] = val
            else:
                res.setdefault(impl, {})[key] = val
    return res, meta


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def ratio(k, v):
    a, b = num(k), num(v)
    if a is None or b is None:
        return ""
    if a == 0:
        return "-" if b == 0 else "inf"
    return f"{b / a:.2f}"


def rows(meta):
    s1 = meta.get("s1_secs", "?")
    n1 = meta.get("s1_runs", "?")
    cw = meta.get("cpu_secs", "?")
    out = []
    for mode, title in (("split", "split: A 150 on odd VRIDs, B 150 on even"), ("pure", "pure: A 150 on all, B 100")):
        out.append((f"S1 200 VRIDs @100ms, {title}; {n1} runs of {s1} s", None, True))
        out.append(("  spurious master transitions (median of runs)", f"{mode}.spurious", True))
        out.append(("  spurious master transitions, per run", f"{mode}.spurious_runs", False))
        out.append(("  one master per VRID after [s] (max over VRIDs, median of runs)", f"{mode}.conv_max_s", True))
        out.append(("  one master per VRID after [s], per run", f"{mode}.conv_max_s_runs", False))
        out.append(("  VRIDs with two advertisers in the last second, per run", f"{mode}.unconverged_vrids_runs", False))
        out.append(("  VRIDs with the wrong master at the end, per run", f"{mode}.wrong_master_vrids_runs", False))
        out.append(("  keepalived 'timer expired N s ago' lines (max N), per run", f"{mode}.ka_late_runs", False))
        out.append(("  machine: kernel stalls / S1 overrun [s] / busy % of 2 cores, per run", f"{mode}.disturbance_runs", False))
        a_role = "A (master of 100, backup of 100)" if mode == "split" else "A (master of 200)"
        b_role = "B (master of 100, backup of 100)" if mode == "split" else "B (backup of 200)"
        out.append((f"S2 steady state after run 1, {cw} s window", None, True))
        out.append((f"  CPU % of one core, host {a_role}", f"{mode}.cpu_a_pct", True))
        out.append((f"  CPU % of one core, host {b_role}", f"{mode}.cpu_b_pct", True))
        out.append(("  RSS host A [kB]", f"{mode}.rss_a_kb", True))
        out.append(("  RSS host B [kB]", f"{mode}.rss_b_kb", True))
        out.append(("  master transitions during the window", f"{mode}.window_transitions", True))
        out.append(("  machine: busy % of 2 cores during the window (all processes)", f"{mode}.window_machine_busy_pct", False))
        out.append(("  adverts/s seen by the client after the window", f"{mode}.steady_adverts_per_s", True))
        out.append(("  VRIDs not held by the expected master after it", f"{mode}.steady_vrids_not_expected_master", True))
    for iv, mdi in (("100", "360.9375"), ("10", "36.09375")):
        out.append((f"S3 takeover, v3 @{iv} ms, prio 101/100, MDI {mdi} ms", None, True))
        out.append(("  gap last old advert -> first new advert [ms], per run", f"to{iv}.gaps_ms", False))
        out.append(("  median gap [ms]", f"to{iv}.gap_median_ms", True))
        out.append(("  deviation from MDI [ms], per run", f"to{iv}.devs_ms", False))
        out.append(("  median deviation from MDI [ms]", f"to{iv}.dev_median_ms", True))
        out.append(("  first advert -> first gratuitous ARP [ms], per run", f"to{iv}.garps_ms", False))
        out.append(("  median first advert -> first GARP [ms]", f"to{iv}.garp_median_ms", True))
        out.append(("  machine: kernel stall reports during the runs", f"to{iv}.kernel_stalls", False))
    n4 = meta.get("s4_runs", "?")
    for iv in meta.get("s4_intervals", "").split():
        mdi = f"{3 * int(iv) + 156 * int(iv) / 256:g}"
        p = f"s4x{iv}."
        out.append((f"S4 takeover, 255 VRIDs, v3 @{iv} ms, prio 101/100, MDI {mdi} ms; {n4} runs", None, True))
        out.append(("  VRIDs B took over (of 255), per run", p + "taken_over_runs", False))
        out.append(("  deviation from MDI over the VRIDs [ms]: median (median of runs)", p + "dev_p50_ms", True))
        out.append(("  deviation from MDI [ms]: median, per run", p + "dev_p50_ms_runs", False))
        out.append(("  deviation from MDI [ms]: p95 (median of runs)", p + "dev_p95_ms", True))
        out.append(("  deviation from MDI [ms]: p95, per run", p + "dev_p95_ms_runs", False))
        out.append(("  deviation from MDI [ms]: max (median of runs)", p + "dev_max_ms", True))
        out.append(("  deviation from MDI [ms]: max, per run", p + "dev_max_ms_runs", False))
        out.append(("  deviation from MDI [ms]: min, per run", p + "dev_min_ms_runs", False))
        out.append(("  A's last adverts, first to last VRID [ms], per run", p + "old_last_spread_ms_runs", False))
        out.append(("  B's first adverts, first to last VRID [ms], per run", p + "new_first_spread_ms_runs", False))
        out.append(("  VRIDs with two advertisers / none in the last 0.5 s, per run", p + "after_runs", False))
        out.append(("  VRIDs B advertised before the link went down, per run", p + "b_before_down_runs", False))
        out.append(("  A's advert interval per VRID before it: median / max [ms], per run", p + "old_ival_runs", False))
        out.append(("  capture: packets dropped by kernel, per run", p + "pcap_kernel_drops_runs", False))
        out.append(("  A held all 255 VIPs (B none) after [s], per run", p + "a_held_all_vips_after_s_runs", False))
        out.append(("  master entries at start-up A / B, per run", p + "startup_runs", False))
        out.append(("  keepalived 'timer expired N s ago' lines (max N), per run", p + "ka_late_runs", False))
        out.append(("  machine: kernel stalls / busy % of 2 cores during the capture, per run", p + "disturbance_runs", False))
    if meta.get("s5_lans"):
        nl, nv = int(meta["s5_lans"]), int(meta.get("s5_vrids", "255"))
        n = nl * nv
        out.append((f"S5 many LANs: {nl} LANs x {nv} VRIDs = {n:,} routers, v3 @1 s, A 150 on all, B 100; "
                    f"{cw} s window", None, True))
        out.append(("  CPU % of one core, master (A, master of all)", "s5.cpu_a_pct", True))
        out.append(("  CPU % of one core, backup (B, backup of all)", "s5.cpu_b_pct", True))
        out.append(("  floor: kernel cost of the adverts sent, 2.75 us each [% of a core]", "s5.floor_a_pct", False))
        out.append(("  floor: kernel cost of the adverts received, 1.0 us each [% of a core]", "s5.floor_b_pct", False))
        out.append(("  master CPU / floor [x]", "s5.cpu_a_floor_x", True))
        out.append(("  backup CPU / floor [x]", "s5.cpu_b_floor_x", True))
        out.append(("  RSS master [MB]", "s5.rss_a_mb", True))
        out.append(("  RSS backup [MB]", "s5.rss_b_mb", True))
        out.append(("  RssAnon / peak RSS (VmHWM), master [MB]", "s5.mem_a", False))
        out.append(("  RssAnon / peak RSS (VmHWM), backup [MB]", "s5.mem_b", False))
        out.append(("  flaps: state transitions after settling (both hosts)", "s5.flaps", True))
        out.append(("  flaps A / B", "s5.flaps_a_b", False))
        out.append(("  CPU per process, master [%]", "s5.cpu_a_procs_short", False))
        out.append(("  CPU per process, backup [%]", "s5.cpu_b_procs_short", False))
        out.append(("  A held all VIPs, B none, after [s] (both started at once)", "s5.a_held_all_vips_after_s", True))
        out.append(("  master entries at start-up A / B", "s5.master_entries_startup", False))
        out.append(("  ours, A's log lines written after start [s]: 'running' / first / last '-> master'", "s5.log_times", False))
        out.append(("  client capture, 2 LANs: VRIDs with A only (of N) / two / B only / none",
                    "s5.cap_summary", False))
        out.append(("  client capture: A's adverts/s on those LANs", "s5.cap_a_adverts_per_s", True))
        out.append(("  client capture: A's advert interval per VRID, median / max [ms]", "s5.cap_ival", False))
        out.append(("  VIPs held A / B at the end", "s5.vips_a_b_at_end", False))
        out.append(("  log lines reporting problems A / B (ours: WARN/ERROR)", "s5.log_problems", False))
        out.append(("  log lines A / B", "s5.log_lines", False))
        out.append(("  keepalived 'timer expired N s ago' lines (max N)", "s5.ka_late", False))
        out.append(("  lab set-up [s] / SIGTERM to both gone [ms]", "s5.setup_stop", False))
        out.append(("  machine: kernel stalls / busy % of 2 cores / load average, window", "s5.disturbance", False))
    return out


def derive(r):
    """Aggregates per-run keys MODE.rN.KEY into MODE.KEY (median) and MODE.KEY_runs."""
    groups = {}
    for key, val in r.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[1].startswith("r") and parts[1][1:].isdigit():
            groups.setdefault((parts[0], parts[2]), []).append((int(parts[1][1:]), val))
    for (mode, key), vals in groups.items():
        vals = [v for _, v in sorted(vals)]
        r[f"{mode}.{key}_runs"] = " / ".join(vals)
        nums = [num(v) for v in vals]
        if len(vals) == 1:
            r[f"{mode}.{key}"] = vals[0]
        elif all(x is not None for x in nums):
            med = statistics.median(nums)
            r[f"{mode}.{key}"] = f"{med:.3f}".rstrip("0").rstrip(".")
    for mode in ("split", "pure"):
        runs = sorted({int(k.split(".")[1][1:]) for k in r if k.startswith(f"{mode}.r") and k.split(".")[1][1:].isdigit()})
        late, dist = [], []
        for n in runs:
            p = f"{mode}.r{n}."
            if p + "ka_late_timer_lines" in r:
                n_late = r[p + "ka_late_timer_lines"]
                late.append(n_late if n_late == "0" else f"{n_late} ({r.get(p + 'ka_late_timer_max_s', '?')} s)")
            dist.append(f"{r.get(p + 'kernel_stalls', '?')}/{r.get(p + 's1_overrun_s', '?')}/{r.get(p + 's1_machine_busy_pct', '?')}")
        if late:
            r[f"{mode}.ka_late_runs"] = ", ".join(late)
        if runs:
            r[f"{mode}.disturbance_runs"] = ", ".join(dist)
    s4 = sorted({k.split(".")[0] for k in r if k.startswith("s4x")})
    for mode in s4:
        runs = sorted({int(k.split(".")[1][1:]) for k in r
                       if k.startswith(mode + ".r") and k.split(".")[1][1:].isdigit()})
        cols = {"after_runs": [], "old_ival_runs": [], "startup_runs": [], "ka_late_runs": [], "disturbance_runs": []}
        for n in runs:
            p = f"{mode}.r{n}."
            g = lambda key: r.get(p + key, "?")
            cols["after_runs"].append(f"{g('two_sources_after')} / {g('silent_after')}")
            cols["old_ival_runs"].append(f"{g('old_interval_p50_ms')} / {g('old_interval_max_ms')}")
            cols["startup_runs"].append(f"{g('master_entries_a_startup')} / {g('master_entries_b_startup')}")
            if p + "ka_late_timer_lines" in r:
                nl = r[p + "ka_late_timer_lines"]
                cols["ka_late_runs"].append(nl if nl == "0" else f"{nl} ({r.get(p + 'ka_late_timer_max_s', '?')} s)")
            cols["disturbance_runs"].append(f"{g('kernel_stalls')}/{g('machine_busy_pct')}")
        for key, vals in cols.items():
            if vals:
                r[f"{mode}.{key}"] = ", ".join(vals)
    if "s5.cpu_a_pct" in r or "s5.a_held_all_vips_after_s" in r:
        g = lambda key: r.get("s5." + key, "?")
        r["s5.cap_summary"] = (f"{g('cap_vrids_one_advertiser_a')} of {g('cap_vrids_expected')} / "
                               f"{g('cap_vrids_two_sources')} / {g('cap_vrids_b_only')} / {g('cap_vrids_silent')}")
        r["s5.cap_ival"] = f"{g('cap_a_interval_p50_ms')} / {g('cap_a_interval_max_ms')}"
        if "s5.ka_late_timer_lines" in r:
            nl = r["s5.ka_late_timer_lines"]
            r["s5.ka_late"] = nl if nl == "0" else f"{nl} ({r.get('s5.ka_late_timer_max_s', '?')} s)"
        r["s5.setup_stop"] = f"{g('lab_setup_s')} / {g('stop_ms')}"
        for h in ("a", "b"):
            # "comm[pid]:pct ..." -> "comm pct + comm pct" (the pids stay in the results file).
            procs = r.get(f"s5.cpu_{h}_procs", "").split()
            r[f"s5.cpu_{h}_procs_short"] = " + ".join(p.split("[")[0] + " " + p.rsplit(":", 1)[-1] for p in procs) or "-"
        r["s5.mem_a"] = f"{g('rss_anon_a_mb')} / {g('hwm_a_mb')}"
        r["s5.mem_b"] = f"{g('rss_anon_b_mb')} / {g('hwm_b_mb')}"
        if "s5.log_running_after_s" in r:
            r["s5.log_times"] = (f"{g('log_running_after_s')} / {g('log_first_master_after_s')} / "
                                 f"{g('log_last_master_after_s')}")
        r["s5.disturbance"] = (f"{g('kernel_stalls')} / {g('window_machine_busy_pct')} / "
                               f"{g('window_loadavg')}")
    for iv in ("100", "10"):
        ks = [r[k] for k in sorted(r) if k.startswith(f"to{iv}.run") and k.endswith(".kernel_stalls")]
        if ks:
            r[f"to{iv}.kernel_stalls"] = str(sum(int(x) for x in ks if x.isdigit()))


def cmd_table(args):
    res, meta = load_results(args.results)
    for r in res.values():
        derive(r)
    ka, vr = res.get("keepalived", {}), res.get("vrrp", {})
    table = [("metric", "keepalived", "vrrp", "vrrp/ka")]
    section = []

    def flush():
        # A section none of whose rows has a value (a scenario not run) is left out.
        if any(r[1] != "-" or r[2] != "-" for r in section[1:]):
            table.extend(section)
        section.clear()

    for label, key, with_ratio in rows(meta):
        if key is None:
            flush()
            section.append((label, "", "", ""))
            continue
        k, v = ka.get(key, "-"), vr.get(key, "-")
        section.append((label, k, v, ratio(k, v) if with_ratio else ""))
    flush()
    if args.markdown:
        print("| " + " | ".join(table[0]) + " |")
        print("|---|---:|---:|---:|")
        for r in table[1:]:
            if r[1:] == ("", "", ""):
                print(f"| **{r[0]}** | | | |")
            else:
                print("| " + r[0].strip() + " | " + " | ".join(r[1:]) + " |")
    else:
        w = [max(len(r[i]) for r in table) for i in range(4)]
        for i, r in enumerate(table):
            print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}  {r[3]:>{w[3]}}")
            if i == 0:
                print("-" * (sum(w) + 6))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("converge")
    c.add_argument("pcap")
    c.add_argument("--t0", type=float, required=True)
    c.add_argument("--a", required=True)
    c.add_argument("--b", required=True)
    c.add_argument("--nvrid", type=int, required=True)
    c.add_argument("--expect", choices=["split", "pure"], required=True)
    s = sub.add_parser("steady")
    s.add_argument("pcap")
    s.add_argument("--a", required=True)
    s.add_argument("--b", required=True)
    s.add_argument("--nvrid", type=int, required=True)
    s.add_argument("--expect", choices=["split", "pure"], required=True)
    t = sub.add_parser("takeover")
    t.add_argument("pcap")
    t.add_argument("--old", required=True)
    t.add_argument("--new", required=True)
    t.add_argument("--vip", required=True)
    t.add_argument("--new-mac", required=True)
    t.add_argument("--mdi-ms", type=float, required=True)
    tm = sub.add_parser("takeover-many")
    tm.add_argument("pcap")
    tm.add_argument("--old", required=True)
    tm.add_argument("--new", required=True)
    tm.add_argument("--nvrid", type=int, required=True)
    tm.add_argument("--mdi-ms", type=float, required=True)
    tm.add_argument("--down-at", type=float, required=True)
    tm.add_argument("--per-vrid")
    sl = sub.add_parser("steady-lans")
    sl.add_argument("pcap")
    sl.add_argument("--lans", required=True)
    sl.add_argument("--nvrid", type=int, required=True)
    sl.add_argument("--a-host", type=int, required=True)
    sl.add_argument("--b-host", type=int, required=True)
    vl = sub.add_parser("vrrp-log")
    vl.add_argument("log")
    vl.add_argument("--t0", type=float, required=True)
    m = sub.add_parser("median")
    m.add_argument("values", nargs="*")
    r = sub.add_parser("table")
    r.add_argument("results")
    r.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    {"median": cmd_median, "converge": cmd_converge, "steady": cmd_steady, "takeover": cmd_takeover, "takeover-many": cmd_takeover_many,
     "steady-lans": cmd_steady_lans, "vrrp-log": cmd_vrrp_log, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
