import time

count = 0
while True:
    count += 1
    print(f"python-worker tick {count}", flush=True)
    time.sleep(1)
