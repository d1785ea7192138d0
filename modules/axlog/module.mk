# axlog: leveled logging.
obj-$(CONFIG_AXLOG) += src/log.o
