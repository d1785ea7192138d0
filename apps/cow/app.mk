obj-y += main.o model.o show.o
