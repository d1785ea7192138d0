obj-y += main.o ballast.o access.o measure.o collapse.o split.o report.o
