# CPython's threading under lockwatch, for tools/real_programs.py: locks, re-entrant locks,
# conditions, queues, events, semaphores and barriers between threads, then concurrent.futures'
# thread pool and process pools (fork and spawn). The interpreter's GIL and every one of these is a
# pthread mutex or condition variable inside libpython. Output depends only on SIZE, never on
# scheduling, so it is compared byte for byte with a native run.
"""python_threads.py SIZE: deterministic multithreaded CPython workload; prints one line per part."""

import concurrent.futures
import hashlib
import multiprocessing
import queue
import sys
import threading

WORKERS = 4


def digest(value):
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def square_sum(bounds):
    """A CPU-bound task for the pools (module level, so spawned processes can import it)."""
    start, stop = bounds
    return sum(n * n % 7919 for n in range(start, stop))


def locks_and_conditions(size):
    """Producers and consumers on a bounded buffer guarded by a Condition; tallies under a Lock,
    nested with an RLock in one fixed order."""
    buffer, capacity = [], 16
    changed = threading.Condition()
    tally_lock, ledger_lock = threading.Lock(), threading.RLock()
    tally, ledger = [0], []
    producers_left = [WORKERS // 2]

    def produce(index):
        for item in range(size):
            with changed:
                changed.wait_for(lambda: len(buffer) < capacity)
                buffer.append(index * size + item)
                changed.notify_all()
        with changed:
            producers_left[0] -= 1
            changed.notify_all()

    def consume():
        while True:
            with changed:
                changed.wait_for(lambda: buffer or producers_left[0] == 0)
                if not buffer:
                    return
                value = buffer.pop()
                changed.notify_all()
            with tally_lock:
                with ledger_lock:
                    with ledger_lock:  # re-entered
                        tally[0] += value
                        ledger.append(value)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(WORKERS // 2)]
    threads += [threading.Thread(target=consume) for _ in range(WORKERS // 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return f"locks+conditions: {len(ledger)} items, sum {tally[0]}, digest {digest(sorted(ledger))}"


def queues_events_barriers(size):
    """A pipeline of queue.Queue stages; an Event starts it, a Barrier lines the stages up, a
    Semaphore bounds the work in flight."""
    start, barrier = threading.Event(), threading.Barrier(3)
    in_flight = threading.BoundedSemaphore(8)
    first, second, results = queue.Queue(maxsize=32), queue.Queue(maxsize=32), queue.Queue()

    def source():
        start.wait()
        barrier.wait()
        for n in range(size):
            in_flight.acquire()
            first.put(n)
        first.put(None)

    def stage():
        barrier.wait()
        while (n := first.get()) is not None:
            second.put(n * 3 + 1)
        second.put(None)

    def sink():
        barrier.wait()
        while (n := second.get()) is not None:
            results.put(n % 1000)
            in_flight.release()

    threads = [threading.Thread(target=target) for target in (source, stage, sink)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join()
    values = [results.get() for _ in range(results.qsize())]
    return f"queues+events+barrier: {len(values)} items, sum {sum(values)}"


def pools(size):
    chunks = [(i * size, (i + 1) * size) for i in range(16)]
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as executor:
        threaded = list(executor.map(square_sum, chunks))
    lines = [f"ThreadPoolExecutor: {sum(threaded)} digest {digest(threaded)}"]
    for method in ("fork", "spawn"):
        context = multiprocessing.get_context(method)
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
            futures = [executor.submit(square_sum, chunk) for chunk in chunks]
            results = [future.result() for future in futures]
        lines.append(f"ProcessPoolExecutor({method}): {sum(results)} digest {digest(results)}")
    return "\n".join(lines)


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    print(locks_and_conditions(size))
    print(queues_events_barriers(size))
    print(pools(size))


if __name__ == "__main__":
    main()
