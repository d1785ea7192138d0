obj-y += main.o
