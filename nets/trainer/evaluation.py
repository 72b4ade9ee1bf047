"""Evaluating a built experiment's net on a data split: mean loss and accuracy."""


def evaluate(exp, X, y, batch_size=1000):
    """(mean loss, accuracy or None) of the net in eval mode on X, y; restores the mode."""
    net, loss, task = exp.net, exp.loss, exp.task
    if not len(X):
        return None, None
    was = net.training
    net.eval()
    total, correct = 0.0, 0
    try:
        for i in range(0, len(X), batch_size):
            out = net.forward(X[i:i + batch_size])
            yb = y[i:i + batch_size]
            total += loss.forward(out, task.targets(yb)) * len(yb)
            c = task.correct(out, yb)
            correct = None if c is None else correct + c
    finally:
        net.train(was)
    return total / len(X), (None if correct is None else correct / len(X))
