obj-y += main.o measure.o report.o
