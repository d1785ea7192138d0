# scripts/lib/jobs.sh - a pool of background jobs whose results are reported
# in the order the jobs were started. Sourced by the test runners.
#
#   jobs_spawn OUT CMD...   runs CMD in the background, its output going to the
#                           file OUT, after waiting while JOBS of them run
#                           (JOBS: default the number of CPUs)
#   jobs_wait               waits for every job and reports the rest
#
# Reporting job i calls the runner's job_done <i> <status> <OUT>, in the
# order of jobs_spawn, as soon as it and every job before it have finished.

jobs_max=${JOBS:-$(nproc)}
jobs_out=()      # OUT of each job, by index
jobs_running=0
jobs_reported=0

# Reports, in order, every finished job not yet reported.
jobs_report() {
	while [ "$jobs_reported" -lt ${#jobs_out[@]} ] && [ -f "${jobs_out[jobs_reported]}.status" ]; do
		job_done "$jobs_reported" "$(cat "${jobs_out[jobs_reported]}.status")" "${jobs_out[jobs_reported]}"
		jobs_reported=$((jobs_reported + 1))
	done
}

jobs_spawn() {
	local out=$1
	shift
	if [ "$jobs_running" -ge "$jobs_max" ]; then
		wait -n
		jobs_running=$((jobs_running - 1))
		jobs_report
	fi
	rm -f "$out.status"
	jobs_out+=("$out")
	{ "$@" >"$out" 2>&1; echo $? >"$out.status.tmp"; mv "$out.status.tmp" "$out.status"; } &
	jobs_running=$((jobs_running + 1))
}

jobs_wait() {
	wait
	jobs_running=0
	jobs_report
}
