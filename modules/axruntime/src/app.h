/*
 * app.h - what an app provides: int main(void). Its return value
 * becomes QEMU's exit status (0 = success).
 */
#ifndef AXRUNTIME_APP_H
#define AXRUNTIME_APP_H

int main(void);

#endif
