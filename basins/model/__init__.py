"""The networks: the one-hidden-layer model of the negative results, the deep network of Property PT,
and the ResNet of the value-of-minima oracles."""
