#!/usr/bin/python3
"""Mutation smoke fuzzing of ward's input parsers (a fixed seed: the same inputs every run).

    mutate.py profiles WARD SEED N      mutated YAML profiles through `ward check`
    mutate.py oci WARD SEED N           mutated OCI seccomp JSON through `ward check`
    mutate.py flags WARD SEED N         random `ward run` flag combinations

Bad input must never crash ward or half-apply: `check` exits 0 or 1 and a failure names the
file; `run` exits 0 (valid) or 125 (refused). Prints one line per offending input and a
summary; exits 1 if there was any. (tests/integration/core_fuzz.sh runs it; a longer run under
`make SANITIZE=1` is the same script with a larger N.)
"""
import os
import random
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
YAML_TOKENS = [b':', b'-', b'[', b']', b'{', b'}', b'\n', b'  ', b'&a', b'*a', b'!!int', b'"',
               b"'", b'\x00', b'\xff', b'999999999999999999999', b'-1', b'1.5G', b'0x10',
               b'include: [x]', b'null', b'~', b'?', b'|', b'>', b'#', b'%YAML 1.2\n',
               b'---\n', b'...\n', b'<<: *a', b'/', b'..', b'127.0.0.1/33:80',
               b'[::1]:70000', b'\t']
JSON_TOKENS = [b'{', b'}', b'[', b']', b',', b':', b'"', b'null', b'true', b'-1', b'1e999',
               b'"SCMP_ACT_KILL"', b'"names"', b'"args"', b'"index": 99',
               b'"op": "SCMP_CMP_MASKED_EQ"', b'\\u0000', b'\xff', b'"arch"',
               b'99999999999999999999']
FLAGS = {
    '--bind': ['/usr', '/usr:/x', '/usr:/x:rw', '/usr::ro', ':', '', '/nonexist', '/usr:/x:zz',
               '/etc/passwd:/p', 'relative:/x', '/usr:relative', '/usr:/proc', '/usr:/',
               '/usr:/dev/x', 'a' * 5000, '/usr:/x:ro:extra'],
    '--gpu': ['none', 'all', '0', '0,1', '-1', '999999999999', 'a', '0,', ',', '1,1', ''],
    '--timeout': ['1s', '0', '1h30m', '-5s', '99999999999h', 'x', '1.5s', '500ms', '', '1e9s'],
    '--net': ['none', 'loopback', 'host', 'x', ''],
    '-m': ['enforce', 'audit', 'x', ''],
    '--id': ['abc', '', '../x', 'a/b', 'x' * 300, '.', 'fuzz-id'],
    '-e': ['none', 'stderr', 'file:', 'file:/nonexistent/x', 'unix:', 'unix:/nonexistent',
           'bogus'],
}


def mutate(rng, data, tokens):
    d = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op, pos = rng.random(), rng.randrange(len(d) + 1)
        if op < 0.3 and len(d) > 1:
            del d[pos:pos + rng.randint(1, 20)]
        elif op < 0.6:
            d[pos:pos] = rng.choice(tokens)
        elif op < 0.8 and len(d) > 1:
            a, b = rng.randrange(len(d)), rng.randrange(len(d))
            d[a:a + 10] = d[b:b + 10]
        elif pos < len(d):
            d[pos] = rng.randrange(256)
    return bytes(d)


def crashed(r):
    err = r.stderr.decode(errors='replace')
    return r.returncode < 0 or 'Sanitizer' in err or 'runtime error' in err, err


def main():
    kind, ward, seed, n = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    bad = 0
    with tempfile.TemporaryDirectory(prefix='ward-fuzz-') as tmp:
        for i in range(n):
            if kind == 'profiles':
                seeds = [open(os.path.join(TOP, p), 'rb').read() for p in
                         ('profiles/base.yaml', 'profiles/python-cpu.yaml',
                          'profiles/strict.yaml', 'tests/profiles/probe.yaml')]
                path = os.path.join(tmp, 'fuzz.yaml')
                open(path, 'wb').write(mutate(rng, rng.choice(seeds), YAML_TOKENS))
                r = subprocess.run([ward, 'check', path], capture_output=True, timeout=30)
                c, err = crashed(r)
                ok = not c and (r.returncode == 0 or (r.returncode == 1 and 'fuzz.yaml' in err))
                what = path
            elif kind == 'oci':
                seeds = [open(os.path.join(TOP, p), 'rb').read() for p in
                         ('tests/unit/data/profile/seccomp/docker-default.json',
                          'tests/unit/data/oci/small.json')]
                open(os.path.join(tmp, 'fz.json'), 'wb').write(
                    mutate(rng, rng.choice(seeds), JSON_TOKENS))
                prof = os.path.join(tmp, 'oci.yaml')
                open(prof, 'w').write('name: fz\ninclude: [%s]\nsyscalls: {import: fz.json}\n'
                                      % os.path.join(TOP, 'profiles/base.yaml'))
                r = subprocess.run([ward, 'check', prof], capture_output=True, timeout=30)
                c, err = crashed(r)
                ok = not c and (r.returncode == 0 or (r.returncode == 1 and 'fz.json' in err))
                what = 'fz.json'
            else:
                args = [ward, 'run', '-p', os.path.join(TOP, 'profiles/base.yaml')]
                for _ in range(rng.randint(0, 4)):
                    k = rng.choice(sorted(FLAGS))
                    args += [k, rng.choice(FLAGS[k])]
                if rng.random() < 0.1:
                    args.append(rng.choice(['--bogus', '-z', '--bind']))
                args += ['--', '/bin/true']
                r = subprocess.run(args, capture_output=True, timeout=60, cwd=tmp)
                c, err = crashed(r)
                ok = not c and r.returncode in (0, 125)
                what = ' '.join(a if len(a) < 40 else a[:37] + '...' for a in args[4:])
            if not ok:
                bad += 1
                print(f'BAD {kind} #{i}: exit {r.returncode}: {what}: {err.strip()[:300]}')
    print(f'{kind}: {n} inputs, {bad} bad')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
