obj-y += main.o compaction.o
