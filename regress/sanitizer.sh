# regress/sanitizer.sh: sourced by regress/run.sh and regress/lib.sh.  How
# a sanitizer build (make SANITIZE=address,undefined) runs under the tests,
# and what a report looks like.
#
# The first report ends the process with status 1: exit, not abort(3),
# which a child in its sandbox cannot raise.  Options already set come
# after ours, so they win.
case ":$ASAN_OPTIONS:" in
*:halt_on_error=1:abort_on_error=0:*) ;;
*)	ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ;;
esac
case ":$UBSAN_OPTIONS:" in
*:halt_on_error=1:print_stacktrace=1:*) ;;
*)	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" ;;
esac
export ASAN_OPTIONS UBSAN_OPTIONS

# a line of a report (grep -E): UBSan's "file:line:col: runtime error: ...",
# ASan's and LSan's "ERROR: AddressSanitizer: ...", "SUMMARY: ...", "CHECK
# failed" and the like
SAN_RE='runtime error:|(Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer'
