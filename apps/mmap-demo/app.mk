obj-y += main.o show.o
