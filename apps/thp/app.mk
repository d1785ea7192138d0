obj-y += main.o ballast.o fragment.o access.o measure.o compaction.o collapse.o split.o \
	report.o
