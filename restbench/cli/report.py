"""``restbench report``, ``restbench verify`` and ``restbench leaderboard publish``.

All three read the results store only; nothing here runs a model. ``verify`` is the command a CI
job runs after ``restbench run``: exit status 1 when any full-set result deviates from its paper.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from restbench.errors import UserError
from restbench.output import emit_json, print_table
from restbench.results.verdict import DEFAULT_TOL_PSNR, DEFAULT_TOL_SSIM

REPORT_EXAMPLES = """\
examples:
  restbench report                                   # every test set in the results store
  restbench report --dataset Set12,BSD68 --out leaderboards
  restbench profile --models all --sizes 128x128,256x256,512x512 --json > profile.json
  restbench report --profile profile.json --profile-size 256x256
  restbench report --html                            # also the static site: leaderboards/site/index.html
Writes <out>/<Dataset>.md and .csv per test set, PNG+SVG figures beside them, <out>/papers/<Paper>-<Table>.md
for every paper table with registered claims, and <out>/README.md. Nothing is written when the
results store holds no sealed result.
"""

VERIFY_EXAMPLES = """\
examples:
  restbench run --models dncnn --dataset Set12 --sigma 25 --weights dncnn=../shared/weights/dncnn_25.pth
  restbench verify --models dncnn
Exit status: 0 when nothing deviates, 1 when a full-set result deviates from the paper's claim,
2 when the store has no result to verify. Runs on a --limit subset are shown but never fail.
"""

PUBLISH_EXAMPLES = """\
examples:
  restbench leaderboard publish --out leaderboards
  restbench leaderboard publish --repo me/restbench-leaderboards
  restbench leaderboard publish --html --repo me/restbench-leaderboards           # boards + site/
  restbench leaderboard publish --html --upload site --repo-type space --repo me/restbench  # a static Space
The token is huggingface_hub's usual one (HF_TOKEN or `hf auth login`); --endpoint (or
HF_ENDPOINT) points at another hub.
"""


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", type=Path, help="results store directory (default: $RESTBENCH_HOME/results)")
    p.add_argument("--tol-psnr", type=float, default=DEFAULT_TOL_PSNR, help=f"PSNR tolerance in dB (default {DEFAULT_TOL_PSNR})")
    p.add_argument("--tol-ssim", type=float, default=DEFAULT_TOL_SSIM, help=f"SSIM tolerance (default {DEFAULT_TOL_SSIM})")


def _board_args(p: argparse.ArgumentParser, out_default: str = "leaderboards") -> None:
    p.add_argument("--dataset", action="append", default=[], help="only these test sets (comma-separated, repeatable)")
    p.add_argument("--out", type=Path, default=Path(out_default), help=f"output directory (default: {out_default})")
    p.add_argument("--profile", type=Path, metavar="JSON", help="output of `restbench profile --json` for cost columns")
    p.add_argument("--profile-size", metavar="HxW", help="which profiled size the boards show (default 256x256 if present)")
    p.add_argument("--no-plots", action="store_true", help="markdown and CSV only")
    p.add_argument("--html", action="store_true",
                   help="also write the static site (<out>/site/index.html: sortable tables, figures; no server needed)")


def register(sub, common) -> None:
    p = sub.add_parser(
        "report",
        parents=[common],
        help="write leaderboards (markdown + CSV + figures) from the results store",
        epilog=REPORT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _store_args(p)
    _board_args(p)
    p.set_defaults(handler=handle_report)

    p = sub.add_parser(
        "verify",
        parents=[common],
        help="compare stored results with the papers' claims; exit 1 if any deviates",
        epilog=VERIFY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _store_args(p)
    p.add_argument("--models", default="all", help="'all', family names or variant ids, comma-separated")
    p.add_argument("--dataset", action="append", default=[], help="only these test sets (comma-separated, repeatable)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--run", action="store_true",
                   help="first run every claim reachable here (test set on disk, weights cached or --weights)")
    p.add_argument("--data-root", type=Path, help="with --run: directory holding <Dataset>/ folders")
    p.add_argument("--weights", action="append", default=[], metavar="ID=PATH", help="with --run: local checkpoints")
    p.add_argument("--no-progress", action="store_true", help="with --run: no progress bars")
    p.set_defaults(handler=handle_verify)

    lb = sub.add_parser("leaderboard", help="leaderboard maintenance (publish)")
    lbsub = lb.add_subparsers(dest="leaderboard_command", metavar="ACTION", required=True)
    p = lbsub.add_parser(
        "publish",
        parents=[common],
        help="write the boards and optionally push them to a Hugging Face dataset repo",
        epilog=PUBLISH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _store_args(p)
    _board_args(p)
    p.add_argument("--repo", metavar="ID", help="Hugging Face repo to upload to (created if missing)")
    p.add_argument("--repo-type", choices=["dataset", "space"], default="dataset",
                   help="a dataset repo (default) or a static Space (serves site/index.html; use with --upload site)")
    p.add_argument("--upload", choices=["all", "site"], default="all",
                   help="'all': the whole --out folder (boards, papers/, figures, site/ when written); "
                        "'site': only <out>/site, at the repo root (needs --html)")
    p.add_argument("--endpoint", metavar="URL", help="hub endpoint (default: huggingface_hub's, i.e. HF_ENDPOINT)")
    p.add_argument("--path-in-repo", default=None, help="folder inside the repo (default: its root)")
    p.add_argument("--commit-message", default="Update restbench leaderboards")
    p.set_defaults(handler=handle_publish)


def _split(items: list[str]) -> list[str]:
    return [x.strip() for item in items for x in item.split(",") if x.strip()]


def _results_dir(args) -> Path:
    from restbench.paths import results_dir

    root = args.results or results_dir()
    if not Path(root).is_dir():
        raise UserError(f"no results store at {root}; run `restbench run …` first or pass --results DIR")
    return Path(root)


def _write(args, state):
    from restbench.report.boards import Profile, load_store, write_reports

    root = _results_dir(args)
    damaged: list[Path] = []
    jobs = load_store(root, damaged)
    if damaged:
        print(f"restbench: warning: {len(damaged)} damaged result file(s) are not on the boards "
              "(see the warnings above; `restbench store check`)", file=sys.stderr)
    if not jobs:
        raise UserError(f"the results store {root} holds no sealed results, so no board was written; "
                        "run `restbench run …` first")
    try:
        profile = Profile.load(args.profile, args.profile_size)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"cannot read --profile {args.profile}: {exc}") from None
    if args.profile and args.profile_size and not any(r["size"] == args.profile_size for r in profile.rows):
        sizes = sorted({r["size"] for r in profile.rows})
        raise UserError(f"--profile-size {args.profile_size} is not in {args.profile} (has {', '.join(sizes)})")
    datasets = _split(args.dataset) or None
    if datasets:
        have = sorted({str(j.summary.get("dataset")) for j in jobs})
        if not {d.lower() for d in datasets} & {h.lower() for h in have}:
            raise UserError(f"no results for {', '.join(datasets)} (nothing written); the store has {', '.join(have)}")
    return write_reports(jobs, args.out, state.registry, profile=profile, datasets=datasets,
                         tol_psnr=args.tol_psnr, tol_ssim=args.tol_ssim, plots=not args.no_plots,
                         html=getattr(args, "html", False))


def handle_report(args, state) -> int:
    boards = _write(args, state)
    for b in boards:
        print(b.markdown)
    papers = Path(args.out) / "papers"
    if papers.is_dir():
        print(f"{papers}/ ({len(list(papers.glob('*.md')))} paper tables)")
    if args.html:
        print(Path(args.out) / "site" / "index.html")
    print(Path(args.out) / "README.md")
    return 0


def handle_verify(args, state) -> int:
    from restbench.report.boards import latest_per_job, level_label, load_store
    from restbench.report.text import dataset_label
    from restbench.results.verdict import NOT_CLAIMED, judge_in

    if args.run:
        from restbench.engine.claims import run_claims
        from restbench.engine.select import select_variants

        from restbench.cli.run import weight_flags, writable_results

        variants = select_variants(state, [args.models])
        overrides = weight_flags(args, variants=variants)
        args.results = writable_results(args.results)
        outcome = run_claims(state, variants, data_root=args.data_root,
                             results_dir=args.results, weights=overrides, progress=not args.no_progress)
        for line in outcome.unreachable:
            print(f"not reachable: {line}", file=sys.stderr)

    wanted = set(_split([args.models])) - {"all"}
    sets = {d.lower() for d in _split(args.dataset)}
    damaged: list[Path] = []
    jobs = [
        j for j in latest_per_job(load_store(_results_dir(args), damaged))
        if (not wanted or j.summary.get("variant") in wanted or j.summary.get("model") in wanted)
        and (not sets or str(j.summary.get("dataset")).lower() in sets)
    ]
    # a damaged file is judged by nobody: it counts against the run unless its name shows it is filtered out
    damaged = [p for p in damaged if _may_match(p.name, wanted, sets)]
    if not jobs and not damaged:
        raise UserError("no stored results match; run `restbench run …` first (verify reads the results store only)")
    rows, skipped, judged = [], 0, []
    for j in jobs:
        s = j.summary
        v = judge_in(s, state.registry, args.tol_psnr, args.tol_ssim)
        judged.append((s, v))
        if v.status is None or v.status == NOT_CLAIMED:
            skipped += 1
            continue
        c = v.claim
        rows.append(dict(
            variant=s["variant"], dataset=dataset_label(s), subset=s.get("subset"), level=level_label(s),
            n_images=s.get("n_images"),
            psnr=s.get("psnr"), claimed_psnr=v.claimed_psnr, d_psnr=None if v.d_psnr is None else float(v.d_psnr),
            ssim=s.get("ssim"), claimed_ssim=v.claimed_ssim, d_ssim=None if v.d_ssim is None else float(v.d_ssim),
            verdict=v.status, partial=v.partial, fails=v.fails, source=c.source if c else None,
            paper=(c.paper or getattr(state.registry.variants.get(s["variant"]), "paper", "")) if c else None,
            table=c.table if c else None, source_kind=c.source_kind if c else None,
            source_ref=c.source_ref if c else None,
        ))
    rows.sort(key=lambda r: (r["dataset"] or "", r["variant"], r["level"]))
    failed = sum(r["fails"] for r in rows)
    from restbench.engine.select import select_variants
    from restbench.results.claims import paper_tally

    # Per paper, over every registered claim of the selected models (not only the stored ones).
    in_scope = [v for v in select_variants(state, [args.models])
                if not sets or any(c.dataset.lower() in sets for c in v.claims)]
    tally = [t for t in paper_tally(state.registry, judged, in_scope) if t.claims]
    if args.json:
        emit_json({"verdicts": rows, "without_claim": skipped, "deviating": failed,
                   "papers": [t.to_dict() for t in tally],
                   "damaged_files": [str(p) for p in damaged],
                   "tolerance": {"psnr": args.tol_psnr, "ssim": args.tol_ssim}})
    else:
        _print_verify(rows)
        print()
        print_table([dict(paper=t.paper, claims=t.claims, reproduced=t.reproduced, deviates=t.deviates,
                          not_yet_run=t.not_run, untraced=t.untraced) for t in tally])
        print(f"\n{len(rows)} result(s) with a claim, {failed} deviating beyond ±{args.tol_psnr} dB / ±{args.tol_ssim} SSIM;"
              f" {skipped} without a claim or efficiency-only (not judged)", file=sys.stderr)
    if damaged:
        print(f"restbench: {len(damaged)} damaged result file(s) could not be judged: "
              f"{', '.join(p.name for p in damaged[:3])}{' …' if len(damaged) > 3 else ''}; "
              "run `restbench store check`", file=sys.stderr)
    return 1 if failed or damaged else 0


def _may_match(name: str, wanted: set[str], sets: set[str]) -> bool:
    """Whether a job file named ``<variant>__<dataset>__<hash>.jsonl`` can be one the filters select."""
    variant, _, rest = name.partition("__")
    dataset = rest.rpartition("__")[0].lower()
    ok_model = not wanted or any(variant == w or variant.startswith(w) for w in wanted)
    return ok_model and (not sets or dataset in sets)


def _print_verify(rows: list[dict]) -> None:
    from restbench.results.verdict import DECIMALS

    def f(x, nd, sign=False):
        return "—" if x is None else (f"{x:+.{nd}f}" if sign else f"{x:.{nd}f}")

    width = max([10, *(len(r["dataset"]) for r in rows)])
    head = (f"{'variant':<36} {'dataset':<{width}} {'level':<6} {'PSNR':>8} {'paper':>6} {'ΔPSNR':>8} "
            f"{'SSIM':>7} {'paper':>6} {'ΔSSIM':>9}  verdict")
    print(head)
    print("-" * len(head))
    for r in rows:
        verdict = r["verdict"] + (f" (subset of {r['n_images']} images: cannot refute the paper)" if r["partial"] else "")
        print(f"{r['variant']:<36} {r['dataset']:<{width}} {r['level']:<6} {f(r['psnr'], 4):>8} "
              f"{'—' if r['claimed_psnr'] is None else r['claimed_psnr']:>6} {f(r['d_psnr'], DECIMALS['psnr'], True):>8} "
              f"{f(r['ssim'], 4):>7} {'—' if r['claimed_ssim'] is None else r['claimed_ssim']:>6} {f(r['d_ssim'], DECIMALS['ssim'], True):>9}  {verdict}")


def handle_publish(args, state) -> int:
    from restbench.report.publish import one_line, publish

    if args.upload == "site" and not args.html:
        raise UserError("--upload site publishes the static site: add --html so that it is written")
    boards = _write(args, state)
    print(f"wrote {len(boards)} board(s) to {args.out}" + (f" and the site to {Path(args.out) / 'site'}" if args.html else ""),
          file=sys.stderr)
    if not args.repo:
        return 0
    folder = Path(args.out) / "site" if args.upload == "site" else Path(args.out)
    try:
        info = publish(folder, args.repo, endpoint=args.endpoint, path_in_repo=args.path_in_repo,
                       commit_message=args.commit_message, repo_type=args.repo_type)
    except Exception as exc:  # network, auth, offline mode: the boards are written, say why the push failed
        raise UserError(f"upload to {args.repo} failed: {one_line(exc)}") from None
    print(getattr(info, "commit_url", None) or f"uploaded {folder} to {args.repo}")
    return 0
