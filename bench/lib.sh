# shellcheck shell=bash
# Shared by the bench/ scripts (sourced).

# median: of the numbers on stdin, one a line
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# round_ratio XS YS: the median of XS[i] / YS[i] over the rounds (array names). This VM's speed
# drifts between minutes while a round's runs are seconds apart, so these move less than
# ratios of medians.
round_ratio() {
	local -n xs=$1 ys=$2
	local i
	for ((i = 0; i < ${#xs[@]}; i++)); do
		awk -v x="${xs[i]}" -v y="${ys[i]}" 'BEGIN {printf "%.4f\n", x / y}'
	done | median | awk '{printf "%.2f", $1}'
}
