"""Checks a mixed lock history: holders never overlap, the lock goes in sequence order, and
every contender acquired it as often as it should.

    check_history.py HISTORY ROUNDS NAME...
"""

import sys


def main():
    history, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    holder = None
    last_sequence = -1
    acquisitions = {name: 0 for name in names}
    with open(history) as file:
        lines = [line.split() for line in file if line.strip()]
    for name, event, sequence in lines:
        sequence = int(sequence)
        if event == "acquired":
            if holder is not None:
                sys.exit(f"{name} acquired while {holder} held the lock: {lines}")
            if sequence <= last_sequence:
                sys.exit(f"{name} acquired out of sequence order: {lines}")
            holder, last_sequence = name, sequence
            acquisitions[name] += 1
        elif holder != name:
            sys.exit(f"{name} released a lock {holder} held: {lines}")
        else:
            holder = None
    if any(count != rounds for count in acquisitions.values()):
        sys.exit(f"acquisitions {acquisitions}, expected {rounds} each")
    print(f"{len(lines) // 2} acquisitions by {', '.join(names)}: exclusive, in sequence order")


if __name__ == "__main__":
    main()
